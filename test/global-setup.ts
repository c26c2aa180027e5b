import { randomBytes } from "node:crypto";
import type { TestProject } from "vitest/node";
import { createDatabase } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { databaseUrl, isStaleTestDatabase, TEST_DATABASE_PREFIX, testDatabaseName, withAdmin } from "./postgres.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/**
 * Once per `vitest run`: build a migrated, seeded template database on the real Postgres, so each
 * test file clones its own isolated copy in milliseconds (CREATE DATABASE … TEMPLATE). Names are
 * unique per run, so concurrent runs on one machine do not touch each other's databases.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = testDatabaseName(`tpl${randomBytes(4).toString("hex")}`);
  await withAdmin(async (admin) => {
    const existing = await admin.query<{ datname: string }>("select datname from pg_database where datname like $1", [`${TEST_DATABASE_PREFIX}%`]);
    for (const { datname } of existing.rows.filter((row) => isStaleTestDatabase(row.datname))) {
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    await admin.query(`create database "${template}"`);
  });
  const handle = await createDatabase({ database: { kind: "postgres", url: databaseUrl(template), poolSize: 2 } });
  await runMigrations(handle);
  await seedCatalogue(handle.db);
  await handle.close();
  project.provide("templateDatabase", template);
  return () => withAdmin(async (admin) => void (await admin.query(`drop database if exists "${template}" with (force)`)));
}
