import { expect, it } from "vitest";
import { z } from "zod";
import { beginToolCall, listToolCalls, markToolCallRunning } from "../../domain/tool-calls.js";
import { AppError, outcomeUnknown } from "../../lib/errors.js";
import { newWorkspaceContext } from "../../test/context.js";
import { describeEachDriver } from "../../test/db.js";
import { connectInMemory } from "./in-memory.js";
import type { McpServerDefinition } from "./server.js";
import { callError, callOk, testToolContext } from "./testing.js";
import { defineTool } from "./tool.js";

/** A stand-in vendor: counts how often it was really asked to act, and can be told to refuse. */
function fakeVendor() {
  const vendor = { acted: 0, refuseNext: false, loseAnswerNext: false, keys: [] as (string | undefined)[] };
  const send = (retrySafe: boolean, name: string) =>
    defineTool({
      name,
      title: "Send",
      description: "Send a message through a test vendor that counts its calls.",
      input: { to: z.string() },
      output: { messageId: z.string() },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
      sideEffect: true,
      effect: "external",
      retrySafe,
      handler: (_ctx, { to }, call) => {
        vendor.keys.push(call.idempotencyKey);
        if (vendor.loseAnswerNext) {
          vendor.loseAnswerNext = false;
          vendor.acted++;
          return Promise.reject(outcomeUnknown(new AppError("upstream_failed", "timed out waiting for the vendor")));
        }
        if (vendor.refuseNext) {
          vendor.refuseNext = false;
          return Promise.reject(new AppError("upstream_failed", `vendor refused ${to}`));
        }
        vendor.acted++;
        return Promise.resolve({ messageId: `msg-${vendor.acted}` });
      },
    });
  const definition: McpServerDefinition = { name: "twilio", version: "0.0.0", instructions: "test", tools: [send(false, "send"), send(true, "send_safe")] };
  return { vendor, definition };
}

describeEachDriver("tools with external effects", (t) => {
  async function connect() {
    const ctx = await newWorkspaceContext(t().db);
    const { vendor, definition } = fakeVendor();
    return { ctx, vendor, ...(await connectInMemory(definition, testToolContext(t().handle, ctx))) };
  }

  it("acts once per key, passes the key to the vendor and replays the first result", async () => {
    const { vendor, client, close } = await connect();
    const first = await callOk(client, "send", { to: "ana", idempotency_key: "sms-ana-001" });
    const second = await callOk(client, "send", { to: "ana", idempotency_key: "sms-ana-001" });
    expect(second).toEqual(first);
    expect(vendor.acted).toBe(1);
    expect(vendor.keys).toEqual(["sms-ana-001"]);
    await close();
  });

  it("records a vendor refusal as failed, and lets the same key try again", async () => {
    const { ctx, vendor, client, close } = await connect();
    vendor.refuseNext = true;
    expect(await callError(client, "send", { to: "bo", idempotency_key: "sms-bo-0001" })).toMatch(/upstream_failed: vendor refused bo/);
    expect((await listToolCalls(ctx)).map((c) => c.status)).toEqual(["failed"]);
    await callOk(client, "send", { to: "bo", idempotency_key: "sms-bo-0001" });
    expect(vendor.acted).toBe(1);
    expect((await listToolCalls(ctx)).map((c) => c.status)).toEqual(["succeeded"]);
    await close();
  });

  it("keeps a call whose answer was lost as unknown, and refuses to repeat it with the same key", async () => {
    const { ctx, vendor, client, close } = await connect();
    vendor.loseAnswerNext = true;
    expect(await callError(client, "send", { to: "di", idempotency_key: "sms-di-0001" })).toMatch(/upstream_failed: timed out/);
    expect((await listToolCalls(ctx)).map((c) => c.status)).toEqual(["running"]);
    expect(await callError(client, "send", { to: "di", idempotency_key: "sms-di-0001" })).toMatch(/conflict: .*outcome is unknown/);
    expect(vendor.acted).toBe(1);
    await close();
  });

  it("does not repeat a call whose outcome is unknown unless the vendor deduplicates", async () => {
    const { ctx, vendor, client, close } = await connect();
    // A crash after the vendor was called and before the ledger was completed leaves it running.
    for (const tool of ["send", "send_safe"]) {
      const { call } = await beginToolCall(ctx, { server: "twilio", tool, idempotencyKey: `crashed-${tool}`, arguments: { to: "cy" } });
      await markToolCallRunning(ctx, call.id);
    }
    expect(await callError(client, "send", { to: "cy", idempotency_key: "crashed-send" })).toMatch(/conflict: .*outcome is unknown/);
    expect(vendor.acted).toBe(0);
    await callOk(client, "send_safe", { to: "cy", idempotency_key: "crashed-send_safe" });
    expect(vendor.acted).toBe(1);
    await close();
  });
});
