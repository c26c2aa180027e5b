import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { createDatabase, type Database, type DatabaseDriver, type DatabaseHandle } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { databaseUrl, testDatabaseName, withAdmin } from "./postgres.js";

export const DRIVERS: readonly DatabaseDriver[] = ["postgres", "pglite"];

export interface TestDatabase {
  handle: DatabaseHandle;
  db: Database;
  /** Connection URL of the Postgres database; undefined for PGlite. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database with the seed catalogue, private to the caller: a clone of the
 * template on the real Postgres, or an in-memory PGlite. `empty: true` skips migrations and seed.
 */
export async function createTestDatabase(driver: DatabaseDriver, options: { empty?: boolean } = {}): Promise<TestDatabase> {
  if (driver === "pglite") {
    const handle = await createDatabase({ database: { kind: "pglite", dataDir: "memory://" } });
    if (!options.empty) {
      await runMigrations(handle);
      await seedCatalogue(handle.db);
    }
    return { handle, db: handle.db, drop: () => handle.close() };
  }
  const name = testDatabaseName(randomBytes(6).toString("hex"));
  const template = inject("templateDatabase");
  await withAdmin((admin) => admin.query(options.empty ? `create database "${name}"` : `create database "${name}" template "${template}"`));
  const handle = await createDatabase({ database: { kind: "postgres", url: databaseUrl(name), poolSize: 4 } });
  return {
    handle,
    db: handle.db,
    url: databaseUrl(name),
    drop: async () => {
      await handle.close();
      await withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/**
 * Run the same suite against both drivers: `describeEachDriver("guests", (t) => { it(…, () => t().db …) })`.
 * Each driver gets its own database for the whole file.
 */
export function describeEachDriver(name: string, body: (database: () => TestDatabase) => void): void {
  describe.each(DRIVERS)(`${name} [%s]`, (driver) => {
    let database: TestDatabase | undefined;
    beforeAll(async () => {
      database = await createTestDatabase(driver);
    });
    afterAll(async () => {
      await database?.drop();
    });
    body(() => {
      if (!database) throw new Error("test database not ready");
      return database;
    });
  });
}
