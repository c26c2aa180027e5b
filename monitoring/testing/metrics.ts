/**
 * Which metric names really exist: scraped from the /metrics endpoints of our three kinds of
 * process, each wired as its command wires it (cli/commands/api.ts, worker.ts, mcp.ts), plus the
 * exporters' and Prometheus's own. And which metric names a PromQL expression reads.
 */
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import request from "supertest";
import { createApi } from "../../api/app.js";
import { MemoryProgress, RecordingScheduler, unlimited } from "../../api/testing/harness.js";
import { startMetricsServer } from "../../cli/services.js";
import type { Database } from "../../drizzle/client.js";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { createMetricsRegistry } from "../../lib/metrics.js";
import { startMcpHttpServer } from "../../mcp-servers/host/http.js";
import { buildMcpServer } from "../../mcp-servers/registry.js";
import { registerRunMetrics } from "../../workers/metrics.js";
import { redisConnection, RunQueue } from "../../workers/run-queue.js";

/**
 * Metrics of the exporters in docker-compose.yml, which cannot run here. Each is a documented
 * metric of its exporter: postgres_exporter (pg_up, pg_stat_database_*, pg_settings_*) and
 * redis_exporter (redis_up, redis_memory_*, redis_connected_clients).
 */
export const EXPORTER_METRICS: ReadonlySet<string> = new Set([
  "pg_up",
  "pg_stat_database_numbackends",
  "pg_settings_max_connections",
  "redis_up",
  "redis_memory_used_bytes",
  "redis_memory_max_bytes",
  "redis_connected_clients",
]);

/** Series Prometheus makes itself for every target. */
export const PROMETHEUS_METRICS: ReadonlySet<string> = new Set(["up"]);

/** Sample names in a text exposition, from its `# TYPE` lines (a histogram is three series). */
export function namesInExposition(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = "", type] = match;
    if (type === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    else if (type === "summary") for (const suffix of ["", "_sum", "_count"]) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

export interface ProcessMetrics {
  api: Set<string>;
  worker: Set<string>;
  mcp: Set<string>;
  /** The scraped texts, for checks on label values. */
  exposition: { api: string; worker: string; mcp: string };
}

/**
 * Scrape an API (with every webhook configured, so their counter exists), a worker's metrics
 * server (queue depth from a real BullMQ queue on Redis, pending approvals from `db`) and an MCP
 * server over HTTP.
 */
export async function scrapeOurProcesses(db: Database, redisUrl: string): Promise<ProcessMetrics> {
  const logger = createLogger({ level: "silent" });
  const config = loadConfig({
    NODE_ENV: "test",
    SLACK_SIGNING_SECRET: "slack-signing-secret-for-metrics",
    STRIPE_WEBHOOK_SECRET: "whsec_metrics",
    TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
    TWILIO_AUTH_TOKEN: "twilio-token-for-metrics",
    TWILIO_FROM_NUMBER: "+15005550006",
    APPROVAL_SIGNING_SECRET: "a".repeat(32),
    MCP_AUTH_TOKEN: "m".repeat(24),
  });

  const apiRegistry = createMetricsRegistry("api");
  const api = createApi({
    db,
    config,
    logger,
    metrics: apiRegistry,
    scheduler: new RecordingScheduler(),
    progress: new MemoryProgress(),
    rateLimiter: unlimited,
    readiness: { postgres: () => Promise.resolve(), redis: () => Promise.resolve() },
  });
  const apiText = (await request(api.callback()).get("/metrics").expect(200)).text;

  const workerRegistry = createMetricsRegistry("worker");
  const queue = new RunQueue(redisConnection(redisUrl), `test-metrics-${randomBytes(4).toString("hex")}`);
  registerRunMetrics(workerRegistry, { depth: () => queue.depth(), db });
  const workerServer = await startMetricsServer(0, workerRegistry);
  let workerText: string;
  try {
    const response = await fetch(`http://127.0.0.1:${(workerServer.address() as AddressInfo).port}/metrics`);
    workerText = await response.text();
  } finally {
    workerServer.close();
    await queue.close();
  }

  const mcp = await startMcpHttpServer(
    {
      definition: buildMcpServer("postgres", { config, logger }),
      authToken: "m".repeat(24),
      allowedHosts: ["127.0.0.1"],
      allowedOrigins: [],
      registry: createMetricsRegistry("mcp-postgres"),
      logger,
      resolveContext: () => Promise.reject(new Error("no tool call is made while scraping")),
    },
    { port: 0, host: "127.0.0.1" },
  );
  let mcpText: string;
  try {
    mcpText = await (await fetch(`${mcp.url}/metrics`)).text();
  } finally {
    await mcp.close(0);
  }

  return {
    api: namesInExposition(apiText),
    worker: namesInExposition(workerText),
    mcp: namesInExposition(mcpText),
    exposition: { api: apiText, worker: workerText, mcp: mcpText },
  };
}

const PROMQL_KEYWORDS = new Set(["and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan", "atan2"]);

/**
 * Metric names a PromQL expression selects. Strips strings, label matchers, ranges, grouping
 * clauses and Grafana's `$variables`; what is left and is neither a function call nor a keyword
 * or number is a metric name. Good for our own expressions; not a PromQL parser.
 */
export function metricNamesIn(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, " ");
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(?=\s*(\()?)/g)) {
    const [name = "", call] = match;
    if (call !== undefined || PROMQL_KEYWORDS.has(name.toLowerCase())) continue;
    const before = stripped[match.index - 1];
    // Part of a number (1e3) or a duration (5m) rather than a name.
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    names.add(name);
  }
  return names;
}
