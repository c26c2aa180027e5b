import { expect } from "vitest";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { describeMcpConformance, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { createGdriveServerFromConfig } from "./server.js";

const logger = createLogger({ level: "silent" });

/** Every tool, in the order a planner uses them, each with good and bad input. */
const CASES: ConformanceCase[] = [
  {
    tool: "create_document",
    good: () => ({ title: "Lisbon offsite plan", markdown: "# Lisbon offsite\n\n- Day 1: arrivals\n", idempotency_key: freshKey("doc") }),
    remember: (r, ids) => void (ids.document = String((r.document as { id: string }).id)),
    bad: () => ({ title: "", markdown: "# x", idempotency_key: freshKey("bad") }),
    field: /title/,
  },
  { tool: "read_document", good: (ids) => ({ documentId: ids.document }), bad: () => ({ documentId: "../etc/passwd" }), field: /documentId/ },
  {
    tool: "update_document",
    good: (ids) => ({ documentId: ids.document, markdown: "# Lisbon offsite\n\n- Day 1: arrivals\n- Day 2: workshops\n", baseRevisionId: "1", idempotency_key: freshKey("save") }),
    bad: (ids) => ({ documentId: ids.document, markdown: "", idempotency_key: freshKey("bad") }),
    field: /markdown/,
  },
  { tool: "search_documents", good: () => ({ query: "workshops" }), bad: () => ({ query: "x", limit: 1000 }), field: /limit/ },
  {
    tool: "share_document",
    good: (ids) => ({ documentId: ids.document, email: "ana@example.com", role: "commenter", allowExternal: true, idempotency_key: freshKey("share") }),
    bad: (ids) => ({ documentId: ids.document, email: "ana at example", role: "commenter", allowExternal: true, idempotency_key: freshKey("bad") }),
    field: /email/,
  },
  { tool: "list_revisions", good: (ids) => ({ documentId: ids.document }), bad: (ids) => ({ documentId: ids.document, limit: -1 }), field: /limit/ },
];

describeMcpConformance({
  server: "gdrive",
  definition: () => createGdriveServerFromConfig({ config: loadConfig({}), logger }),
  cases: CASES,
  idempotency: {
    tool: "create_document",
    args: { title: "Once", markdown: "# Created once" },
    count: async (client) => (await callOk<{ documents: unknown[] }>(client, "search_documents", {})).documents.length,
  },
  isolation: async (connect) => {
    const a = await connect("conf-iso-a");
    const { document } = await callOk<{ document: { id: string } }>(a.client, "create_document", { title: "A only", markdown: "# A's plan", idempotency_key: "iso-a-document" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect(await callError(b.client, "read_document", { documentId: document.id })).toMatch(/^not_found/);
      expect(await callError(b.client, "list_revisions", { documentId: document.id })).toMatch(/^not_found/);
      expect((await callOk<{ documents: unknown[] }>(b.client, "search_documents", { query: "plan" })).documents).toEqual([]);
    } finally {
      await b.close();
    }
  },
});
