import pg from "pg";

/** Where the integration tests find the real Postgres (trust auth on 127.0.0.1 by default). */
export const TEST_DATABASE_PREFIX = "ept_test_";

/** Leftovers of a crashed run are dropped by the next run once they are this old. */
const STALE_AFTER_SECONDS = 3600;

export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

/** `ept_test_<epoch seconds>_<suffix>`: the timestamp lets a later run tell stale leftovers apart. */
export function testDatabaseName(suffix: string): string {
  return `${TEST_DATABASE_PREFIX}${Math.floor(Date.now() / 1000)}_${suffix}`;
}

export function isStaleTestDatabase(name: string, nowSeconds = Date.now() / 1000): boolean {
  const created = Number(name.slice(TEST_DATABASE_PREFIX.length).split("_")[0]);
  return Number.isFinite(created) && nowSeconds - created > STALE_AFTER_SECONDS;
}

/** A short-lived connection to the admin database, for CREATE/DROP DATABASE. */
export async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}
