import { describe, expect, it } from "vitest";
import { createEvent } from "../../../domain/events.js";
import { newWorkspaceContext } from "../../../test/context.js";
import { createTestDatabase, describeEachDriver } from "../../../test/db.js";
import { LISBON_OFFSITE } from "../../../test/fixtures.js";
import { executeReadonly } from "./execute.js";

const limits = { rowCap: 50, timeoutMs: 2000 };

/** The database layers alone, with the parser guard skipped: each must hold by itself. */
describeEachDriver("read-only executor", (t) => {
  it("runs as the read-only role in a read-only transaction", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const result = await executeReadonly(t().handle, ctx.workspaceId, "select current_user as who, current_setting('transaction_read_only') as ro", limits);
    expect(result).toEqual({ columns: ["who", "ro"], rows: [["event_planner_readonly", "on"]], truncated: false });
  });

  it("shows only the workspace's own rows, whatever the query asks for", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    await createEvent(a, LISBON_OFFSITE);
    await createEvent(b, { ...LISBON_OFFSITE, title: "B's secret summit" });
    const asA = await executeReadonly(t().handle, a.workspaceId, `select title from events where workspace_id = '${b.workspaceId}' or true`, limits);
    expect(asA.rows).toEqual([["Engineering offsite"]]);
    const catalogue = await executeReadonly(t().handle, a.workspaceId, "select count(*)::int from venues", limits);
    expect(catalogue.rows[0]?.[0]).toBeGreaterThanOrEqual(60);
  });

  it("cannot read tables outside the planning set", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(executeReadonly(t().handle, ctx.workspaceId, "select * from api_keys", limits)).rejects.toThrow(/permission denied/);
    await expect(executeReadonly(t().handle, ctx.workspaceId, "select * from runs", limits)).rejects.toThrow(/permission denied/);
  });

  it("cannot smuggle a second statement or a write", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await createEvent(ctx, LISBON_OFFSITE);
    await expect(executeReadonly(t().handle, ctx.workspaceId, "select 1; drop table events", limits)).rejects.toThrow();
    await expect(executeReadonly(t().handle, ctx.workspaceId, "with gone as (delete from events returning *) select * from gone", limits)).rejects.toThrow();
    const still = await executeReadonly(t().handle, ctx.workspaceId, "select count(*)::int from events", limits);
    expect(still.rows).toEqual([[1]]);
  });

  it("caps the rows and says so", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const result = await executeReadonly(t().handle, ctx.workspaceId, "select slug from venues order by slug", { rowCap: 5, timeoutMs: 2000 });
    expect(result.rows).toHaveLength(5);
    expect(result.truncated).toBe(true);
  });
});

describe("read-only executor on Postgres", () => {
  it("cancels a statement that runs past the timeout", async () => {
    const database = await createTestDatabase("postgres");
    try {
      const ctx = await newWorkspaceContext(database.db);
      await expect(executeReadonly(database.handle, ctx.workspaceId, "select pg_sleep(5)", { rowCap: 1, timeoutMs: 100 })).rejects.toThrow(/statement timeout/);
      // The connection went back to the pool clean: the next query works and is read-only again.
      const after = await executeReadonly(database.handle, ctx.workspaceId, "select current_user", limits);
      expect(after.rows).toEqual([["event_planner_readonly"]]);
    } finally {
      await database.drop();
    }
  });
});
