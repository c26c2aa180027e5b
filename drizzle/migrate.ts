import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import type { DatabaseHandle } from "./client.js";

/** The generated SQL migrations; the build copies them beside the compiled client. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL("./migrations", import.meta.url));

// Any constant works; it only has to be the same in every process of the stack.
const MIGRATION_LOCK_KEY = 0x65766e74; // "evnt"

/**
 * Apply pending migrations; already-applied ones are skipped, so running it twice is a no-op.
 * On Postgres an advisory lock serialises concurrent starters (api and worker booting together).
 */
export async function runMigrations(handle: DatabaseHandle): Promise<void> {
  if (!existsSync(MIGRATIONS_FOLDER)) throw new Error(`Migrations folder not found: ${MIGRATIONS_FOLDER}`);
  const config = { migrationsFolder: MIGRATIONS_FOLDER };
  if (handle.driver === "pglite") {
    await migratePglite(drizzlePglite(handle.client as PGlite), config);
    return;
  }
  const connection = await (handle.client as pg.Pool).connect();
  try {
    await connection.query("select pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(drizzlePg(connection), config);
    } finally {
      await connection.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    connection.release();
  }
}
