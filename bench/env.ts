/** What every measurement shares: the bench database, Redis, the silent logger, a config, the machine. */
import { randomBytes } from "node:crypto";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { Redis } from "ioredis";
import pg from "pg";
import { createDatabase, type DatabaseHandle } from "../drizzle/client.js";
import { runMigrations } from "../drizzle/migrate.js";
import { seedCatalogue } from "../drizzle/seed/seed-catalogue.js";
import { loadConfig, type Config } from "../lib/config.js";
import { createLogger } from "../lib/logger.js";
import type { Machine } from "./report.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
/** A database on this server is only used for CREATE/DROP DATABASE. */
export const ADMIN_URL = process.env.BENCH_ADMIN_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const logger = createLogger({ level: "silent" });

export function urlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  handle: DatabaseHandle;
  drop(): Promise<void>;
}

/** `bench_<random>` on the real Postgres, migrated and seeded; dropped at the end of the run. */
export async function createBenchDatabase(poolSize = 10): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(5).toString("hex")}`;
  await admin((client) => client.query(`create database "${name}"`));
  const url = urlFor(name);
  const handle = await createDatabase({ database: { kind: "postgres", url, poolSize } });
  await runMigrations(handle);
  await seedCatalogue(handle.db);
  return {
    name,
    url,
    handle,
    drop: async () => {
      await handle.close();
      await admin((client) => client.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/** An embedded in-memory PGlite, migrated and seeded. */
export async function createPgliteDatabase(): Promise<DatabaseHandle> {
  const handle = await createDatabase({ database: { kind: "pglite", dataDir: "memory://" } });
  await runMigrations(handle);
  await seedCatalogue(handle.db);
  return handle;
}

export function benchConfig(databaseUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({ DATABASE_URL: databaseUrl, REDIS_URL, LLM_PROVIDER: "offline", LOG_LEVEL: "silent", ...env });
}

export function queuePrefix(): string {
  return `bench-${randomBytes(4).toString("hex")}`;
}

export async function describeMachine(mode: Machine["mode"]): Promise<Machine> {
  const postgres = await admin(async (client) => (await client.query<{ server_version: string }>("show server_version")).rows[0]?.server_version ?? "unknown");
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const info = await redis.info("server");
  redis.disconnect();
  const cpuList = cpus();
  return {
    date: new Date().toISOString(),
    cpus: cpuList[0]?.model.trim() ?? "unknown",
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: `PostgreSQL ${postgres}`,
    redis: `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? "unknown"}`,
    platform: `${platform()} ${release()}`,
    loadAverage: { start: round2(loadavg()[0] ?? 0) },
    mode,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
