import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { sql, type ExtractTablesWithRelations, type SQL } from "drizzle-orm";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import type { Config } from "../lib/config.js";
import { acquireDataDirLock } from "./data-dir-lock.js";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;

/** Drizzle over either driver. Transactions (`db.transaction(tx => …)`) are assignable to it too. */
export type Database = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export type DatabaseDriver = "postgres" | "pglite";

export interface DatabaseHandle {
  db: Database;
  driver: DatabaseDriver;
  /** The underlying pg Pool or PGlite instance, for migrations and health checks. */
  client: pg.Pool | PGlite;
  close(): Promise<void>;
}

/** `memory://` keeps PGlite in memory (tests); any other value is a directory on disk. */
export type DatabaseConfig = Config["database"];

export async function createDatabase(config: { database: DatabaseConfig }): Promise<DatabaseHandle> {
  const options = { schema, casing: "snake_case" as const };
  if (config.database.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: config.database.url, max: config.database.poolSize });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    pool.on("error", () => undefined);
    return { db: drizzlePg(pool, options), driver: "postgres", client: pool, close: () => pool.end() };
  }
  const { dataDir } = config.database;
  if (dataDir.startsWith("memory://")) {
    const client = await PGlite.create();
    return { db: drizzlePglite(client, options), driver: "pglite", client, close: () => client.close() };
  }
  const dir = path.resolve(dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const release = acquireDataDirLock(dir);
  try {
    const client = await PGlite.create(dir);
    return {
      db: drizzlePglite(client, options),
      driver: "pglite",
      client,
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** A cheap round trip, for /readyz. */
export async function pingDatabase(handle: DatabaseHandle): Promise<void> {
  await handle.db.execute(sql`select 1`);
}

/** Rows of a raw SQL query; both drivers answer with `{ rows }`, which the shared type cannot express. */
export async function executeRows<T extends Record<string, unknown>>(db: Database, query: SQL): Promise<T[]> {
  const result: unknown = await db.execute(query);
  return (result as { rows: T[] }).rows;
}
