/** Probes and machine-readable descriptions: no API key, so orchestrators and scrapers can reach them. */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { ApiDeps } from "../deps.js";
import type { OpenApiDocument } from "../openapi.js";
import { defineRoute, type RouteDefinition } from "../route.js";

const CHECKS = ["postgres", "redis"] as const;
type CheckName = (typeof CHECKS)[number];

const healthSchema = z.object({ status: z.literal("ok") });
const checkResult = z.enum(["ok", "failed"]);
const readySchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  checks: z.object({ postgres: checkResult, redis: checkResult }),
});

/** A check that neither answers nor fails within the timeout counts as failed, so the probe itself never hangs. */
async function probe(check: () => Promise<void>, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: unknown }> {
  const abort = new AbortController();
  try {
    const outcome = await Promise.race([check().then(() => "ok" as const), sleep(timeoutMs, "timeout" as const, { signal: abort.signal })]);
    return outcome === "ok" ? { ok: true } : { ok: false, reason: `no answer within ${timeoutMs} ms` };
  } catch (reason) {
    return { ok: false, reason };
  } finally {
    abort.abort();
  }
}

export function healthRoutes(deps: ApiDeps, document: () => OpenApiDocument): RouteDefinition[] {
  const timeoutMs = deps.options?.readinessTimeoutMs ?? 2000;
  return [
    defineRoute({
      method: "get",
      path: "/healthz",
      operationId: "health",
      summary: "The process is up",
      tag: "operations",
      auth: false,
      request: {},
      responses: { 200: { description: "Up", schema: healthSchema } },
      handle: (ctx) => {
        ctx.body = { status: "ok" } satisfies z.input<typeof healthSchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/readyz",
      operationId: "ready",
      summary: "Postgres and Redis are reachable",
      description: "503 names the dependency that failed; the reason is in the server's log, not here.",
      tag: "operations",
      auth: false,
      request: {},
      responses: { 200: { description: "Ready", schema: readySchema }, 503: { description: "A dependency is unreachable", schema: readySchema } },
      handle: async (ctx) => {
        const results = await Promise.all(
          CHECKS.map(async (name): Promise<[CheckName, "ok" | "failed"]> => {
            const outcome = await probe(() => deps.readiness[name](), timeoutMs);
            if (outcome.ok) return [name, "ok"];
            ctx.state.log.warn({ check: name, err: outcome.reason }, "readiness check failed");
            return [name, "failed"];
          }),
        );
        const checks = Object.fromEntries(results) as Record<CheckName, "ok" | "failed">;
        const ready = results.every(([, outcome]) => outcome === "ok");
        ctx.status = ready ? 200 : 503;
        ctx.body = { status: ready ? "ok" : "unavailable", checks } satisfies z.input<typeof readySchema>;
      },
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      operationId: "metrics",
      summary: "Prometheus metrics",
      tag: "operations",
      auth: false,
      request: {},
      responses: { 200: { description: "Prometheus text exposition format", contentType: "text/plain" } },
      handle: async (ctx) => {
        ctx.type = deps.metrics.contentType;
        ctx.body = await deps.metrics.metrics();
      },
    }),
    defineRoute({
      method: "get",
      path: "/openapi.json",
      operationId: "openapi",
      summary: "This API's OpenAPI 3.1 document",
      tag: "operations",
      auth: false,
      request: {},
      responses: { 200: { description: "OpenAPI document", contentType: "application/json" } },
      handle: (ctx) => {
        ctx.body = document();
      },
    }),
  ];
}
