/**
 * Everything the API needs from outside, passed to `createApi`. Nothing here is a module-level
 * global, so a test builds the API over its own database, Redis and fakes of the queue side, and
 * `serve`, `api` and the tests wire the same code differently.
 */
import type { Registry } from "prom-client";
import type { RunEvent } from "../agent/events.js";
import type { Database } from "../drizzle/client.js";
import type { Config } from "../lib/config.js";
import type { Logger } from "../lib/logger.js";

export interface RunRef {
  workspaceId: string;
  runId: string;
}

/**
 * Hands a stored run to the workers. The queue's job id is the run id, so enqueueing a run twice
 * is harmless: the API re-enqueues freely (after a retry, an approval) instead of tracking state.
 */
export interface RunScheduler {
  enqueueRun(ref: RunRef): Promise<void>;
}

/**
 * Live progress of a run as the worker emits it (Redis pub/sub in production). `subscribe`
 * resolves once the listener is attached, so nothing published afterwards is missed; the returned
 * function detaches it.
 */
export interface RunProgressSource {
  subscribe(runId: string, listener: (event: RunEvent) => void): Promise<() => Promise<void>>;
}

export type RateLimitDecision =
  | { allowed: true; limit: number; remaining: number; resetSeconds: number }
  | { allowed: false; limit: number; retryAfterSeconds: number };

/** Counts requests per key (an API key id) in a fixed window. */
export interface RateLimiter {
  consume(key: string): Promise<RateLimitDecision>;
}

/** `/readyz` probes: each resolves when its dependency answers and rejects otherwise. */
export interface ReadinessChecks {
  postgres(): Promise<void>;
  redis(): Promise<void>;
}

export interface ApiOptions {
  /** Largest JSON body accepted; larger ones get 413. Default 1 MiB (a message is at most 100,000 characters). */
  bodyLimitBytes?: number;
  /** How often an open event stream gets a heartbeat comment and a status check. Default 15 s. */
  sseHeartbeatMs?: number;
  /** How long each readiness probe may take before it counts as failed. Default 2 s. */
  readinessTimeoutMs?: number;
}

export interface ApiDeps {
  db: Database;
  config: Config;
  logger: Logger;
  /** The process's Prometheus registry: `/metrics` serves it and the HTTP metrics are added to it. */
  metrics: Registry;
  scheduler: RunScheduler;
  progress: RunProgressSource;
  rateLimiter: RateLimiter;
  readiness: ReadinessChecks;
  options?: ApiOptions;
}
