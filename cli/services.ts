/**
 * Long-running parts the `serve`, `api` and `worker` commands start: checks that say in one line
 * what to start when a dependency is down, the worker with its sweeper, and orderly shutdown.
 */
import { createServer, type Server } from "node:http";
import { Redis } from "ioredis";
import { createApi } from "../api/app.js";
import type { RunScheduler } from "../api/deps.js";
import { createRedisRateLimiter } from "../api/rate-limiter.js";
import { pingDatabase } from "../drizzle/client.js";
import type { Registry } from "prom-client";
import { registerRunMetrics } from "../workers/metrics.js";
import { RedisRunProgressSource } from "../workers/progress.js";
import { selectModel } from "../agent/model/select.js";
import type { DatabaseHandle } from "../drizzle/client.js";
import { AppError } from "../lib/errors.js";
import { RedisRunProgressPublisher } from "../workers/progress.js";
import { redisConnection, RunQueue } from "../workers/run-queue.js";
import { startRunWorker } from "../workers/run-worker.js";
import { startSweeper } from "../workers/sweeper.js";
import type { Runtime } from "./runtime.js";

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

function errorCode(error: unknown): string {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

export async function assertRedisReachable(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket error (ECONNREFUSED …) arrives as an event; connect() itself only says the connection closed.
  let socketError: unknown;
  redis.on("error", (error: unknown) => {
    socketError ??= error;
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new AppError("upstream_failed", `Redis at ${redactUrl(url)} is not reachable (${errorCode(socketError ?? error)}): start it (e.g. \`redis-server\`) or set REDIS_URL.`);
  } finally {
    redis.disconnect();
  }
}

/** Turn "cannot connect" into a one-line instruction; anything else passes through unchanged. */
export function explainDatabaseError(error: unknown, databaseUrl: string | undefined): unknown {
  const code = errorCode(error);
  if (databaseUrl && ["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH", "28P01", "28000", "3D000"].includes(code)) {
    return new AppError("upstream_failed", `Postgres at ${redactUrl(databaseUrl)} is not reachable (${code}): start it, fix DATABASE_URL, or unset DATABASE_URL to use embedded PGlite.`);
  }
  return error;
}

export interface WorkerProcess {
  queue: RunQueue;
  close(): Promise<void>;
}

/** A run worker, its progress publisher and the sweeper, sharing one queue. */
export function startWorkerProcess(runtime: Runtime, handle: DatabaseHandle, registry: Registry): WorkerProcess {
  const { config, logger } = runtime;
  const connection = redisConnection(config.redisUrl);
  const queue = new RunQueue(connection, config.queuePrefix);
  const publisher = new RedisRunProgressPublisher(config.redisUrl, logger);
  const metrics = registerRunMetrics(registry, { depth: () => queue.depth(), db: handle.db });
  const worker = startRunWorker({ handle, config, logger, model: selectModel(config, logger), connection, concurrency: config.worker.concurrency, publisher, metrics, prefix: config.queuePrefix });
  const sweeper = startSweeper({ db: handle.db, scheduler: queue, logger });
  return {
    queue,
    async close() {
      sweeper.stop();
      await worker.close(config.worker.shutdownSeconds * 1000);
      await Promise.allSettled([queue.close(), publisher.close()]);
    },
  };
}

/** Run `stop` once on SIGTERM or SIGINT, then exit. */
export function onShutdown(runtime: Runtime, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    runtime.logger.info({ signal }, "shutting down");
    stop()
      .catch((error: unknown) => runtime.logger.error({ err: error }, "error during shutdown"))
      .finally(() => process.exit(0));
  };
  process.once("SIGTERM", handler);
  process.once("SIGINT", handler);
}

export interface ApiServer {
  server: Server;
  close(): Promise<void>;
}

/** The HTTP API on PORT, with Redis for rate limits and live progress and the queue as its scheduler. */
export async function startApiServer(runtime: Runtime, handle: DatabaseHandle, scheduler: RunScheduler, registry: Registry): Promise<ApiServer> {
  const { config, logger } = runtime;
  // No offline queue: when Redis is away, rate limiting falls back to memory instead of making requests wait.
  const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", (error: Error) => logger.warn({ err: error }, "api: Redis error"));
  await redis.connect();
  const progress = new RedisRunProgressSource(config.redisUrl, logger);
  const app = createApi({
    db: handle.db,
    config,
    logger,
    metrics: registry,
    scheduler,
    progress,
    rateLimiter: createRedisRateLimiter({ redis, points: config.api.rateLimitPerMinute, durationSeconds: 60 }),
    readiness: { postgres: () => pingDatabase(handle), redis: async () => void (await redis.ping()) },
  });
  const handleRequest = app.callback();
  // Koa's handler settles its own errors; the promise only signals completion.
  const server = createServer((request, response) => void handleRequest(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      void progress.close();
      redis.disconnect();
      reject(error.code === "EADDRINUSE" ? new AppError("config_invalid", `Port ${config.port} is already in use: stop the other process or set PORT.`) : error);
    });
    server.listen(config.port, resolve);
  });
  return {
    server,
    async close() {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would hold close() forever; their clients reconnect with Last-Event-ID.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await Promise.allSettled([progress.close(), redis.quit()]);
    },
  };
}

/** `/metrics` and `/healthz` for a process without the API (a worker), for Prometheus to scrape. */
export async function startMetricsServer(port: number, registry: Registry): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === "/metrics") {
      registry
        .metrics()
        .then((text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        })
        .catch(() => {
          response.writeHead(500);
          response.end();
        });
      return;
    }
    response.writeHead(request.url === "/healthz" ? 200 : 404, { "content-type": "application/json" });
    response.end(request.url === "/healthz" ? '{"status":"ok"}' : '{"error":{"code":"not_found","message":"only /metrics and /healthz"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "EADDRINUSE" ? new AppError("config_invalid", `Port ${port} is already in use: set WORKER_METRICS_PORT.`) : error));
    server.listen(port, resolve);
  });
  return server;
}
