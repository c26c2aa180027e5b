import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { createTestDatabase, DRIVERS, type TestDatabase } from "../test/db.js";
import { createDatabase, executeRows, type Database } from "./client.js";
import { MIGRATIONS_FOLDER, runMigrations } from "./migrate.js";
import { workspaces } from "./schema/index.js";

const DOMAIN_TABLES = [
  "api_keys",
  "approvals",
  "budget_lines",
  "conversations",
  "events",
  "guests",
  "messages",
  "run_steps",
  "runs",
  "sandbox_objects",
  "tasks",
  "tool_calls",
  "vendor_quotes",
  "vendors",
  "venue_bookings",
  "venues",
  "webhook_deliveries",
  "workspaces",
];

async function publicTables(db: Database): Promise<string[]> {
  const rows = await executeRows<{ table_name: string }>(db, sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`);
  return rows.map((row) => row.table_name);
}

async function appliedMigrations(db: Database): Promise<number> {
  const [row] = await executeRows<{ count: number }>(db, sql`select count(*)::int as count from drizzle.__drizzle_migrations`);
  return Number(row?.count);
}

describe.each(DRIVERS)("migrations [%s]", (driver) => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("builds every domain table from an empty database, and re-applying is a no-op", async () => {
    database = await createTestDatabase(driver, { empty: true });
    expect(await publicTables(database.db)).toEqual([]);
    await runMigrations(database.handle);
    expect(await publicTables(database.db)).toEqual(DOMAIN_TABLES);
    const files = readdirSync(MIGRATIONS_FOLDER).filter((file) => file.endsWith(".sql"));
    expect(await appliedMigrations(database.db)).toBe(files.length);
    await database.db.insert(workspaces).values({ name: "survives-reapply" });
    await runMigrations(database.handle);
    expect(await appliedMigrations(database.db)).toBe(files.length);
    expect(await database.db.select().from(workspaces)).toHaveLength(1);
  });
});

describe("migrations on Postgres", () => {
  it("lets two processes start at once: the advisory lock serialises them", async () => {
    const database = await createTestDatabase("postgres", { empty: true });
    const second = await createDatabase({ database: { kind: "postgres", url: database.url ?? "", poolSize: 2 } });
    try {
      await Promise.all([runMigrations(database.handle), runMigrations(second)]);
      expect(await publicTables(database.db)).toEqual(DOMAIN_TABLES);
    } finally {
      await second.close();
      await database.drop();
    }
  });
});

describe("embedded PGlite on disk", () => {
  it("keeps data across restarts", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ept-pglite-"));
    try {
      const first = await createDatabase({ database: { kind: "pglite", dataDir } });
      await runMigrations(first);
      await first.db.insert(workspaces).values({ name: "persisted" });
      await first.close();

      const reopened = await createDatabase({ database: { kind: "pglite", dataDir } });
      await runMigrations(reopened);
      expect((await reopened.db.select().from(workspaces)).map((w) => w.name)).toEqual(["persisted"]);
      await reopened.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a second opener of the same directory while the first is alive, and takes over a dead one's lock", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ept-pglite-"));
    try {
      const first = await createDatabase({ database: { kind: "pglite", dataDir } });
      await expect(createDatabase({ database: { kind: "pglite", dataDir } })).rejects.toMatchObject({ code: "conflict", message: expect.stringMatching(/in use by process \d+.*DATABASE_URL/) as unknown });
      await first.close();

      const exited = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
      writeFileSync(path.join(dataDir, "pglite", "event-planner.lock"), String(exited.pid));
      const afterCrash = await createDatabase({ database: { kind: "pglite", dataDir } });
      await afterCrash.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
