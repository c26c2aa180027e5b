/**
 * The API and a run worker in this process, wired as `event-planner api` and `event-planner worker`
 * wire them (cli/services.ts), over a database and a Redis the test controls: what the dependency
 * fault tests break underneath.
 */
import { randomBytes } from "node:crypto";
import { Registry } from "prom-client";
import { selectModel } from "../../agent/model/select.js";
import { startApiServer, type ApiServer } from "../../cli/services.js";
import { createApiKey } from "../../domain/api-keys.js";
import type { DomainContext } from "../../domain/context.js";
import { ensureWorkspace } from "../../domain/workspaces.js";
import type { DatabaseHandle } from "../../drizzle/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { freePort } from "../../test/processes.js";
import { redisConnection, RunQueue } from "../run-queue.js";
import { startRunWorker, type RunWorker } from "../run-worker.js";
import { startSweeper } from "../sweeper.js";

export interface InProcessStack {
  baseUrl: string;
  queue: RunQueue;
  worker: RunWorker;
  /** Completed jobs by job id (the run id): a run done twice would show up here as 2. */
  completions: Map<string, number>;
  /** Failed attempts by job id: each is retried, and the run resumes from its persisted steps. */
  failures: Map<string, number>;
  /** A new workspace and its API key's Authorization header. */
  workspace(): Promise<{ ctx: DomainContext; auth: string }>;
  /** POST a conversation and a message through the API; the run id it answered with. */
  submit(auth: string, content: string): Promise<string>;
  close(): Promise<void>;
}

export async function startInProcessStack(input: { handle: DatabaseHandle; databaseUrl: string; redisUrl: string; anthropicUrl: string }): Promise<InProcessStack> {
  const port = await freePort();
  const prefix = `ept-fault-${randomBytes(4).toString("hex")}`;
  const config = loadConfig({
    DATABASE_URL: input.databaseUrl,
    REDIS_URL: input.redisUrl,
    QUEUE_PREFIX: prefix,
    PORT: String(port),
    ANTHROPIC_API_KEY: "sk-ant-test-key",
    ANTHROPIC_BASE_URL: input.anthropicUrl,
    ANTHROPIC_MODEL: "claude-sonnet-4-6",
  });
  const logger = createLogger({ level: "silent" });
  const runtime = { config, logger };
  const queue = new RunQueue(redisConnection(config.redisUrl), prefix);
  const api: ApiServer = await startApiServer(runtime, input.handle, queue, new Registry());
  const worker = startRunWorker({ handle: input.handle, config, logger, model: selectModel(config, logger), connection: redisConnection(config.redisUrl), concurrency: 2, prefix });
  const sweeper = startSweeper({ db: input.handle.db, scheduler: queue, logger });
  const completions = new Map<string, number>();
  const failures = new Map<string, number>();
  const count = (map: Map<string, number>, id: string | undefined) => map.set(id ?? "?", (map.get(id ?? "?") ?? 0) + 1);
  worker.worker.on("completed", (job) => count(completions, job.id));
  worker.worker.on("failed", (job) => count(failures, job?.id));
  const baseUrl = `http://127.0.0.1:${port}`;

  const post = async (path: string, auth: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify(body) });
    const json = (await response.json()) as Record<string, unknown>;
    if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${JSON.stringify(json)}`);
    return json;
  };

  return {
    baseUrl,
    queue,
    worker,
    completions,
    failures,
    async workspace() {
      const workspace = await ensureWorkspace(input.handle.db, `fault-${randomBytes(4).toString("hex")}`);
      const ctx: DomainContext = { db: input.handle.db, workspaceId: workspace.id, actor: { kind: "system" } };
      const { token } = await createApiKey(ctx, { name: "fault test" });
      return { ctx, auth: `Bearer ${token}` };
    },
    async submit(auth, content) {
      const conversation = await post("/v1/conversations", auth, {});
      const accepted = await post(`/v1/conversations/${String(conversation.id)}/messages`, auth, { content });
      return String(accepted.runId);
    },
    async close() {
      sweeper.stop();
      await worker.close(5_000);
      await api.close();
      await queue.queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    },
  };
}

/** GET /readyz: its status and which checks failed. */
export async function readiness(baseUrl: string): Promise<{ status: number; failed: string[] }> {
  const response = await fetch(`${baseUrl}/readyz`);
  const body = (await response.json()) as { checks: Record<string, string> };
  return { status: response.status, failed: Object.entries(body.checks).flatMap(([name, result]) => (result === "ok" ? [] : [name])) };
}
