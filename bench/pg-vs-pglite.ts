/** Item 5: the postgres MCP server's tools on the real Postgres and on embedded PGlite, same client, same calls. */
import { randomBytes } from "node:crypto";
import { McpClientManager } from "../agent/mcp/manager.js";
import { ensureWorkspace } from "../domain/workspaces.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import { benchConfig, createPgliteDatabase, logger, type BenchDatabase } from "./env.js";
import { ms, type Section } from "./report.js";
import { percentile, round } from "./stats.js";

type Args = (eventId: string, i: number) => Record<string, unknown>;

/** Reads and writes the planner uses most; writes get a fresh idempotency key per call. */
const CALLS: { tool: string; args: Args }[] = [
  { tool: "create_event", args: (_e, i) => ({ title: `Bench event ${i}`, kind: "offsite", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR", idempotency_key: `bench-create-${i}` }) },
  { tool: "get_event", args: (eventId) => ({ eventId }) },
  { tool: "list_events", args: () => ({}) },
  { tool: "search_venues", args: () => ({ city: "Lisbon", minCapacity: 40 }) },
  { tool: "add_budget_line", args: (eventId, i) => ({ eventId, category: "catering", description: `Lunch ${i}`, plannedMinor: 120000, currency: "EUR", idempotency_key: `bench-budget-${i}` }) },
  { tool: "budget_summary", args: (eventId) => ({ eventId }) },
  { tool: "query_readonly", args: () => ({ sql: "select name, city, capacity from venues order by capacity desc limit 5" }) },
];

async function timeTools(handle: DatabaseHandle, databaseUrl: string, iterations: number): Promise<Map<string, number[]>> {
  const workspace = await ensureWorkspace(handle.db, `bench-pg-${randomBytes(3).toString("hex")}`);
  const manager = await McpClientManager.connect({ config: benchConfig(databaseUrl), logger, workspace, handle, servers: ["postgres"] });
  const samples = new Map<string, number[]>(CALLS.map((call) => [call.tool, []]));
  try {
    const first = await manager.callTool("postgres__create_event", CALLS[0]?.args("", -1) ?? {});
    const eventId = (first.structuredContent as { id?: string; event?: { id: string } } | undefined)?.event?.id ?? (first.structuredContent as { id?: string } | undefined)?.id;
    if (!eventId) throw new Error(`create_event returned no id: ${JSON.stringify(first.structuredContent)}`);
    const warmUp = Math.min(5, iterations);
    for (let i = 0; i < iterations + warmUp; i++) {
      for (const call of CALLS) {
        const start = performance.now();
        const result = await manager.callTool(`postgres__${call.tool}`, call.args(eventId, i));
        const elapsed = performance.now() - start;
        if (result.isError) throw new Error(`${call.tool} failed: ${JSON.stringify(result.content)}`);
        if (i >= warmUp) samples.get(call.tool)?.push(elapsed);
      }
    }
  } finally {
    await manager.close();
  }
  return samples;
}

export async function measurePostgresVsPglite(database: BenchDatabase, quick: boolean): Promise<Section> {
  const iterations = quick ? 10 : 150;
  const postgres = await timeTools(database.handle, database.url, iterations);
  const pglite = await createPgliteDatabase();
  let embedded: Map<string, number[]>;
  try {
    embedded = await timeTools(pglite, database.url, iterations);
  } finally {
    await pglite.close();
  }
  const rows = CALLS.map(({ tool }) => {
    const pg = postgres.get(tool) ?? [];
    const lite = embedded.get(tool) ?? [];
    return { tool, postgresP50: percentile(pg, 50), postgresP99: percentile(pg, 99), pgliteP50: percentile(lite, 50), pgliteP99: percentile(lite, 99) };
  });
  return {
    id: "pglite",
    title: "5. Postgres vs embedded PGlite",
    method: `The postgres MCP server's tools through an in-process MCP connection (what \`serve\` uses), ${iterations} rounds of the calls below after a warm-up, on the real Postgres (pool over TCP) and on PGlite in memory (WebAssembly, in this process). Writes carry a fresh idempotency key, so each commits its effect and its ledger entry.`,
    table: [["tool", "Postgres p50", "Postgres p99", "PGlite p50", "PGlite p99", "PGlite ÷ Postgres (p50)"], ...rows.map((r) => [r.tool, ms(r.postgresP50), ms(r.postgresP99), ms(r.pgliteP50), ms(r.pgliteP99), `${(r.pgliteP50 / r.postgresP50).toFixed(2)}×`])],
    goals: [],
    notes: ["No goal was set for this comparison: PGlite is the zero-setup default for trying the product in one process; production runs Postgres."],
    data: rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" ? round(v, 3) : v]))),
  };
}
