/** Where the integration tests find the real Postgres (trust auth on 127.0.0.1 by default). */
export const TEST_DATABASE_PREFIX = "ept_test_";
export const TEMPLATE_DATABASE = `${TEST_DATABASE_PREFIX}template`;

export function adminUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

export function databaseUrl(name: string): string {
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
