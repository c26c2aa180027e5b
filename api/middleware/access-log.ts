import type { Middleware } from "koa";
import { Histogram, type Registry } from "prom-client";
import type { ApiContextExtras, ApiState } from "../state.js";

const DURATION_METRIC = "http_request_duration_seconds";

/** One histogram per registry: createApi may run more than once over a registry (tests, serve + api). */
function durationHistogram(registry: Registry): Histogram<"method" | "route" | "status"> {
  const existing = registry.getSingleMetric(DURATION_METRIC);
  if (existing instanceof Histogram) return existing;
  return new Histogram({
    name: DURATION_METRIC,
    help: "HTTP request duration in seconds, by method, route template and status",
    labelNames: ["method", "route", "status"],
    // Event streams stay open for minutes, hence the long tail.
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600],
    registers: [registry],
  });
}

/**
 * The access log line and the duration metric, written when the response has gone out (for an
 * event stream, when it closes). Only the method, the path without its query, the route template,
 * the status and the timing are logged: never headers, so never the Authorization header.
 */
export function accessLog(registry: Registry): Middleware<ApiState, ApiContextExtras> {
  const histogram = durationHistogram(registry);
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    let logged = false;
    const done = () => {
      if (logged) return;
      logged = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      // Unmatched paths share one label, so scanners cannot blow up the metric's cardinality.
      const route = ctx.state.route ?? "unmatched";
      const status = ctx.res.writableFinished ? ctx.status : 499;
      histogram.observe({ method: ctx.method, route, status: String(status) }, seconds);
      const line = { method: ctx.method, path: ctx.path, route, status, ms: Math.round(seconds * 1000), keyId: ctx.state.auth?.keyId, workspaceId: ctx.state.auth?.workspaceId };
      if (status >= 500) ctx.state.log.error(line, "request");
      else ctx.state.log.info(line, "request");
    };
    ctx.res.once("close", done);
    await next();
  };
}
