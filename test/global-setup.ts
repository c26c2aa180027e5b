import pg from "pg";
import { createDatabase } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, adminUrl, databaseUrl } from "./postgres.js";

/**
 * Once per `npm test`: build a migrated, seeded template database on the real Postgres, so each
 * test file can clone its own isolated copy in milliseconds (CREATE DATABASE … TEMPLATE).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  const leftovers = await admin.query<{ datname: string }>("select datname from pg_database where datname like $1", [`${TEST_DATABASE_PREFIX}%`]);
  for (const { datname } of leftovers.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
  await admin.query(`create database "${TEMPLATE_DATABASE}"`);
  const handle = await createDatabase({ database: { kind: "postgres", url: databaseUrl(TEMPLATE_DATABASE), poolSize: 2 } });
  await runMigrations(handle);
  await seedCatalogue(handle.db);
  await handle.close();
  await admin.end();
  return async () => {
    const cleanup = new pg.Client({ connectionString: adminUrl() });
    await cleanup.connect();
    await cleanup.query(`drop database if exists "${TEMPLATE_DATABASE}" with (force)`);
    await cleanup.end();
  };
}
