/**
 * Test wiring for the API: the real app over a real Postgres database, with the two queue-side
 * interfaces (RunScheduler, RunProgressSource) implemented in memory. Each test file builds one
 * harness in beforeAll and a workspace with its own API key per test.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { Registry } from "prom-client";
import { RunEvents, type RunEvent } from "../../agent/events.js";
import { createApiKey } from "../../domain/api-keys.js";
import type { DomainContext } from "../../domain/context.js";
import { pingDatabase } from "../../drizzle/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { newWorkspaceContext } from "../../test/context.js";
import { createTestDatabase, type TestDatabase } from "../../test/db.js";
import { createApi, type Api } from "../app.js";
import type { ApiDeps, ApiOptions, RateLimiter, ReadinessChecks, RunProgressSource, RunRef, RunScheduler } from "../deps.js";

/** Records every enqueue; `failWith` makes the next calls fail, as an unreachable queue would. */
export class RecordingScheduler implements RunScheduler {
  readonly calls: RunRef[] = [];
  failWith: Error | undefined;

  enqueueRun(ref: RunRef): Promise<void> {
    if (this.failWith) return Promise.reject(this.failWith);
    this.calls.push(ref);
    return Promise.resolve();
  }
}

/** In-process progress over agent/events.ts' RunEvents: what the worker's Redis publisher will feed in production. */
export class MemoryProgress implements RunProgressSource {
  private readonly events = new RunEvents();
  private readonly counts = new Map<string, number>();
  /** Called right after a listener is attached: lets a test publish in the gap before the stream's replay. */
  onSubscribe: ((runId: string) => void) | undefined;

  subscribe(runId: string, listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    const off = this.events.subscribe((event) => {
      if (event.runId === runId) listener(event);
    });
    this.counts.set(runId, this.subscribers(runId) + 1);
    this.onSubscribe?.(runId);
    let open = true;
    return Promise.resolve(() => {
      if (open) {
        open = false;
        off();
        this.counts.set(runId, this.subscribers(runId) - 1);
      }
      return Promise.resolve();
    });
  }

  emit(event: RunEvent): void {
    this.events.emit(event);
  }

  subscribers(runId: string): number {
    return this.counts.get(runId) ?? 0;
  }
}

export const unlimited: RateLimiter = {
  consume: () => Promise.resolve({ allowed: true, limit: 1_000_000, remaining: 1_000_000, resetSeconds: 60 }),
};

export interface HarnessOptions {
  rateLimiter?: RateLimiter;
  readiness?: Partial<ReadinessChecks>;
  progress?: RunProgressSource;
  options?: ApiOptions;
}

export interface Harness {
  database: TestDatabase;
  deps: ApiDeps;
  app: Api;
  scheduler: RecordingScheduler;
  progress: MemoryProgress;
  /** Every log line the API wrote, as text. */
  logText(): string;
  /** A new workspace with an API key: `{ ctx, keyId, auth }` where auth is the header value. */
  workspace(): Promise<{ ctx: DomainContext; keyId: string; token: string; auth: string }>;
  /** Listen on 127.0.0.1 for tests that need a real socket (event streams); returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await createTestDatabase("postgres");
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const scheduler = new RecordingScheduler();
  const progress = new MemoryProgress();
  const deps: ApiDeps = {
    db: database.db,
    config: loadConfig({ NODE_ENV: "test" }),
    logger: createLogger({ level: "debug", destination }),
    metrics: new Registry(),
    scheduler,
    progress: options.progress ?? progress,
    rateLimiter: options.rateLimiter ?? unlimited,
    readiness: {
      postgres: options.readiness?.postgres ?? (() => pingDatabase(database.handle)),
      redis: options.readiness?.redis ?? (() => Promise.resolve()),
    },
    ...(options.options ? { options: options.options } : {}),
  };
  const app = createApi(deps);
  const servers: Server[] = [];
  return {
    database,
    deps,
    app,
    scheduler,
    progress,
    logText: () => lines.join(""),
    async workspace() {
      const ctx = await newWorkspaceContext(database.db, "api");
      const { token, apiKey } = await createApiKey(ctx, { name: "test" });
      return { ctx, keyId: apiKey.id, token, auth: `Bearer ${token}` };
    },
    async listen() {
      const handler = app.callback();
      const server = createServer((req, res) => void handler(req, res));
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    async close() {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await database.drop();
    },
  };
}

/** supertest types response bodies as `any`; tests read them through these instead. */
export interface ErrorJson {
  code: string;
  message: string;
  details?: { field?: string; [key: string]: unknown };
}

export function errorOf(res: { body: unknown }): ErrorJson {
  return (res.body as { error: ErrorJson }).error;
}

export function dataOf<T = { id: string; [key: string]: unknown }>(res: { body: unknown }): T[] {
  return (res.body as { data: T[] }).data;
}

export function bodyOf<T = Record<string, unknown>>(res: { body: unknown }): T {
  return res.body as T;
}
