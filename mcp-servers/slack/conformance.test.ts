import { randomUUID } from "node:crypto";
import { expect } from "vitest";
import { ensureExternalConversation } from "../../domain/conversations.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { describeMcpConformance, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { slackThreadRef } from "../../domain/slack-threads.js";
import { createSlackServerFromConfig } from "./server.js";

const logger = createLogger({ level: "silent" });

/** A DM thread a planning request came from (the Slack events webhook creates its conversation). */
const REQUEST_THREAD = { channel: "D0CONFORM1", ts: "1712345678.000100" };

/** Every tool, in the order a planner would use them, each with good and bad input. */
const CASES: ConformanceCase[] = [
  { tool: "list_channels", good: () => ({}), bad: () => ({ limit: 0 }), field: /limit/ },
  {
    tool: "post_message",
    good: () => ({ channel: "#event-planning", text: "Offsite plan: Lisbon, 10-11 March, 40 people", idempotency_key: freshKey("post") }),
    remember: (r, ids) => void (ids.ts = String((r.message as { ts: string }).ts)),
    bad: () => ({ channel: "#event-planning", text: "", idempotency_key: freshKey("bad") }),
    field: /text/,
  },
  {
    tool: "reply_in_thread",
    good: (ids) => ({ threadTs: ids.ts, text: "Venue options to follow", idempotency_key: freshKey("reply") }),
    bad: () => ({ threadTs: "yesterday", text: "x", idempotency_key: freshKey("bad") }),
    field: /threadTs/,
  },
  { tool: "add_reaction", good: (ids) => ({ ts: ids.ts, emoji: "eyes", idempotency_key: freshKey("react") }), bad: (ids) => ({ ts: ids.ts, emoji: "two words", idempotency_key: freshKey("bad") }), field: /emoji/ },
  { tool: "read_thread", good: (ids) => ({ threadTs: ids.ts }), bad: (ids) => ({ threadTs: ids.ts, limit: 500 }), field: /limit/ },
  { tool: "read_channel", good: () => ({ channel: "event-planning" }), bad: () => ({ channel: "#two words" }), field: /channel/ },
  {
    tool: "answer_in_thread",
    good: () => ({ channel: REQUEST_THREAD.channel, threadTs: REQUEST_THREAD.ts, text: "Here is the plan", idempotency_key: freshKey("answer") }),
    bad: () => ({ channel: "#event-planning", threadTs: REQUEST_THREAD.ts, text: "x", idempotency_key: freshKey("bad") }),
    field: /channel/,
  },
  {
    tool: "post_approval_request",
    good: () => ({ approvalId: randomUUID(), summary: "Pay the venue deposit", amountMinor: 500_000, currency: "EUR", recipients: ["Palacio Lisboa"], idempotency_key: freshKey("approval") }),
    bad: () => ({ approvalId: randomUUID(), summary: "Pay", amountMinor: 500_000, idempotency_key: freshKey("bad") }),
    field: /currency/,
  },
];

describeMcpConformance({
  server: "slack",
  definition: () => createSlackServerFromConfig({ config: loadConfig({}), logger }),
  cases: CASES,
  prepare: async (db, workspaceName) => {
    const workspace = await ensureWorkspace(db, workspaceName);
    await ensureExternalConversation({ db, workspaceId: workspace.id, actor: { kind: "system" } }, { channel: "slack", externalRef: slackThreadRef(REQUEST_THREAD.channel, REQUEST_THREAD.ts) });
  },
  idempotency: {
    tool: "post_message",
    args: { text: "Posted once" },
    count: async (client) => (await callOk<{ messages: unknown[] }>(client, "read_channel", {})).messages.length,
  },
  isolation: async (connect) => {
    const a = await connect("conf-iso-a");
    const { message } = await callOk<{ message: { ts: string } }>(a.client, "post_message", { text: "A only", idempotency_key: "iso-a-post" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect(await callError(b.client, "read_thread", { threadTs: message.ts })).toMatch(/^not_found: .*thread_not_found/);
      expect(await callError(b.client, "add_reaction", { ts: message.ts, emoji: "eyes", idempotency_key: "iso-b-react" })).toMatch(/^not_found/);
      expect((await callOk<{ messages: unknown[] }>(b.client, "read_channel", {})).messages).toEqual([]);
      expect(await callError(b.client, "post_message", { channel: "#general", text: "x", idempotency_key: "iso-b-general" })).toMatch(/^forbidden: Posting in #general/);
      // The same idempotency key in another workspace is a different post.
      const own = await callOk<{ message: { ts: string; text: string } }>(b.client, "post_message", { text: "B's", idempotency_key: "iso-a-post" });
      expect(own.message.text).toBe("B's");
    } finally {
      await b.close();
    }
  },
});
