/**
 * `npm start` as a new user meets it: one process on fresh embedded PGlite prints a first API key,
 * accepts a planning request over HTTP, works it on its own worker to the deposit approval, finishes
 * it once approved, and stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createTestDatabase } from "../test/db.js";
import { freePort } from "../test/processes.js";

const BIN = fileURLToPath(new URL("../bin/event-planner.js", import.meta.url));
const dataDir = mkdtempSync(path.join(tmpdir(), "ept-serve-"));
let proc: ChildProcess | undefined;
afterAll(() => {
  proc?.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("event-planner serve", () => {
  it("serves the API and a worker in one process on fresh PGlite, from first key to a finished plan", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, "serve"], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", EVENT_PLANNER_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await expect.poll(() => output, { timeout: 60_000, interval: 200 }).toMatch(/running on http:\/\/localhost:\d+/);
    const key = /epk_[A-Za-z0-9_-]+/.exec(output)?.[0];
    expect(key, output).toBeDefined();

    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const json = async (response: Response) => (await response.json()) as Record<string, unknown>;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/v1/conversations`, { method: "POST" })).status).toBe(401);
    const conversation = await json(await fetch(`${base}/v1/conversations`, { method: "POST", headers }));
    const accepted = await fetch(`${base}/v1/conversations/${String(conversation.id)}/messages`, {
      method: "POST",
      headers,
      body: JSON.stringify({ content: "Plan a 2-day offsite for 40 people in Lisbon in March 2027, budget EUR 30000" }),
    });
    expect(accepted.status).toBe(202);
    const { runId } = await json(accepted);
    const status = async () => (await json(await fetch(`${base}/v1/runs/${String(runId)}`, { headers }))).status;
    await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe("awaiting_approval");

    const pending = (await json(await fetch(`${base}/v1/approvals?status=pending`, { headers }))).data as { id: string; action: string }[];
    expect(pending.map((approval) => approval.action)).toEqual(["stripe__pay_vendor_deposit"]);
    expect((await fetch(`${base}/v1/approvals/${pending[0]!.id}`, { method: "POST", headers, body: JSON.stringify({ decision: "approve" }) })).status).toBe(200);
    await expect.poll(status, { timeout: 60_000, interval: 250 }).toBe("succeeded");

    // One /metrics for the whole process: HTTP, and the worker's runs and queue.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/agent_runs_finished_total\{[^}]*status="succeeded"[^}]*\} 1/);
    expect(metrics).toMatch(/queue_jobs\{/);
    expect(metrics).toMatch(/http_request_duration_seconds/);

    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 180_000);
});

describe("event-planner worker", () => {
  it("runs alone against Postgres and Redis, serves /metrics for Prometheus, and exits cleanly on SIGTERM", async () => {
    const database = await createTestDatabase("postgres");
    const metricsPort = await freePort();
    try {
      const child = spawn(process.execPath, [BIN, "worker"], {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", DATABASE_URL: database.url!, WORKER_METRICS_PORT: String(metricsPort), LOG_LEVEL: "warn" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const scrape = async () => {
        try {
          return await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        } catch {
          return "";
        }
      };
      await expect.poll(scrape, { timeout: 60_000, interval: 250 }).toMatch(/queue_jobs\{/);
      expect(await scrape()).toMatch(/approvals_pending/);
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      child.kill("SIGTERM");
      expect(await exited, output).toBe(0);
    } finally {
      await database.drop();
    }
  }, 120_000);
});
