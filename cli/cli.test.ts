import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createDatabase } from "../drizzle/client.js";
import { verifyApiKey } from "../domain/api-keys.js";
import { createSandboxObject } from "../domain/sandbox.js";
import { ensureWorkspace, findWorkspaceByName } from "../domain/workspaces.js";
import { cli } from "../test/cli.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";

// Each test starts the CLI several times (seconds each, more with embedded PGlite on a busy machine).
vi.setConfig({ testTimeout: 90_000 });

describe("event-planner CLI with embedded PGlite (no DATABASE_URL)", () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "ept-cli-"));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("migrates twice without error, then creates a key that verifies against the same data dir", async () => {
    const env = { EVENT_PLANNER_DATA_DIR: dataDir };
    for (let i = 0; i < 2; i++) {
      const migrated = await cli(["migrate"], env);
      expect(migrated).toMatchObject({ code: 0 });
      expect(migrated.stdout).toMatch(/Migrations applied to embedded PGlite/);
    }
    const created = await cli(["keys", "create", "--workspace", "acme"], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^epk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/workspace "acme".*shown once/);

    const handle = await createDatabase({ database: { kind: "pglite", dataDir } });
    try {
      const workspace = await findWorkspaceByName(handle.db, "acme");
      expect(await verifyApiKey(handle.db, token)).toMatchObject({ workspaceId: workspace?.id });
    } finally {
      await handle.close();
    }
  });
});

describe("event-planner CLI with DATABASE_URL", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("postgres", { empty: true });
  });
  afterAll(() => database.drop());

  it("migrates an empty Postgres database and creates keys as JSON", async () => {
    const env = { DATABASE_URL: database.url ?? "" };
    expect((await cli(["migrate"], env)).stdout).toMatch(/Migrations applied to Postgres/);
    const created = await cli(["keys", "create", "--workspace", "acme", "--json"], env);
    expect(created.code).toBe(0);
    const output = JSON.parse(created.stdout) as { workspace: string; apiKey: string; keyId: string };
    expect(output.workspace).toBe("acme");
    expect(await verifyApiKey(database.db, output.apiKey)).toMatchObject({ keyId: output.keyId });
  });
});

describe("event-planner sandbox outbox", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterAll(() => database.drop());

  it("prints what the sandbox did for the workspace, filtered by kind, and as JSON", async () => {
    const workspace = await ensureWorkspace(database.db, "outbox");
    const ctx = { db: database.db, workspaceId: workspace.id, actor: { kind: "system" as const } };
    await createSandboxObject(ctx, { service: "twilio", kind: "sms", externalId: "SM00000000000000000000000000000001", status: "delivered", data: { to: "+351912345678", body: "You're invited!" } });
    await createSandboxObject(ctx, { service: "stripe", kind: "payment", externalId: "pi_sandbox_1", status: "succeeded", data: { amount: 150000, currency: "eur" } });
    const env = { DATABASE_URL: database.url ?? "", EVENT_PLANNER_WORKSPACE: "outbox" };
    const sms = await cli(["sandbox", "outbox", "--kind", "sms"], env);
    expect(sms.code).toBe(0);
    expect(sms.stdout).toMatch(/twilio\/sms {2}SM0+1 {2}delivered {2}to="\+351912345678" body="You're invited!"/);
    expect(sms.stdout).not.toMatch(/pi_sandbox_1/);
    const all = JSON.parse((await cli(["sandbox", "outbox", "--json"], env)).stdout) as { externalId: string }[];
    expect(all.map((o) => o.externalId).sort()).toEqual(["SM00000000000000000000000000000001", "pi_sandbox_1"]);
    expect((await cli(["sandbox", "outbox", "--kind", "doc"], env)).stdout).toMatch(/empty for doc/);
    expect((await cli(["sandbox", "outbox", "--kind", "fax"], env)).code).toBe(2);
  });
});

describe("event-planner CLI errors", () => {
  it("stops on a bad environment variable with one line naming it, exit code 2", async () => {
    const result = await cli(["migrate"], { PORT: "eighty" });
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe('Invalid configuration: PORT must be an integer from 1 to 65535 (got "eighty")');
  });

  it("refuses an invalid workspace name naming the problem", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "ept-cli-"));
    try {
      const result = await cli(["keys", "create", "--workspace", "Not Valid!"], { EVENT_PLANNER_DATA_DIR: dataDir });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/validation_failed: .*lowercase letters, digits or hyphens/);
      expect(result.stdout).toBe("");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses evals run --model replay without a recording as a usage error, before touching a database", async () => {
    const replay = await cli(["evals", "run", "--model", "replay"], { DATABASE_URL: "postgres://planner@127.0.0.1:1/none" });
    expect(replay.code).toBe(2);
    expect(replay.stderr.trim()).toBe("evals run --model replay needs --recording FILE (made by `evals run --record`)");
  });

  it("says in one line what to start when Redis or Postgres is down", async () => {
    const redisDown = await cli(["worker"], { REDIS_URL: "redis://127.0.0.1:1" });
    expect(redisDown.code).toBe(1);
    expect(redisDown.stderr.trim()).toBe("event-planner: upstream_failed: Redis at redis://127.0.0.1:1 is not reachable (ECONNREFUSED): start it (e.g. `redis-server`) or set REDIS_URL.");
    const postgresDown = await cli(["worker"], { DATABASE_URL: "postgres://planner:hunter2@127.0.0.1:1/test" });
    expect(postgresDown.code).toBe(1);
    expect(postgresDown.stderr).toMatch(/Postgres at postgres:\/\/planner:\*\*\*@127\.0\.0\.1:1\/test is not reachable \(ECONNREFUSED\): start it/);
    expect(postgresDown.stderr).not.toContain("hunter2");
  });

  it("rejects an unknown command and a missing required option as usage errors", async () => {
    expect((await cli(["frobnicate"], {})).code).toBe(2);
    const missing = await cli(["keys", "create"], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--workspace/);
  });
});
