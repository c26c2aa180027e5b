/**
 * The HTTP API: `createApi(deps)` builds the Koa app over injected dependencies (see deps.ts).
 *
 * Every request passes, in order: request id → access log and duration metric → the one error
 * mapper → security headers → the router. A `/v1` route adds authentication → per-key rate limit →
 * JSON body parsing (routes with a body) → validation of params, query, headers and body with the
 * route's zod schemas → its handler, which calls one domain operation.
 */
import { Router } from "@koa/router";
import Koa from "koa";
import helmet from "koa-helmet";
import { AppError } from "../lib/errors.js";
import type { ApiDeps } from "./deps.js";
import { errorMapper } from "./errors.js";
import { accessLog } from "./middleware/access-log.js";
import { authenticate } from "./middleware/auth.js";
import { jsonBody } from "./middleware/body.js";
import { rateLimit } from "./middleware/rate-limit.js";
import { requestId } from "./middleware/request-id.js";
import { buildOpenApiDocument, type OpenApiDocument } from "./openapi.js";
import { mountRoutes, type RouteDefinition } from "./route.js";
import { approvalRoutes } from "./routes/approvals/routes.js";
import { conversationRoutes } from "./routes/conversations/routes.js";
import { eventRoutes } from "./routes/events/routes.js";
import { healthRoutes } from "./routes/health.js";
import { outboxRoutes } from "./routes/outbox/routes.js";
import { runRoutes } from "./routes/runs/routes.js";
import type { ApiContextExtras, ApiState } from "./state.js";
import { webUi } from "./web/static.js";
import { webhookRoutes } from "./webhooks/routes.js";

export type { ApiDeps } from "./deps.js";
export type Api = Koa<ApiState, ApiContextExtras>;

const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Every route the API serves; the OpenAPI document is generated from this same list. */
export function apiRoutes(deps: ApiDeps, document: () => OpenApiDocument): RouteDefinition[] {
  return [...healthRoutes(deps, document), ...conversationRoutes(deps), ...runRoutes(deps), ...approvalRoutes(deps), ...eventRoutes(deps), ...outboxRoutes(deps), ...webhookRoutes(deps)];
}

export function createApi(deps: ApiDeps): Api {
  const app: Api = new Koa<ApiState, ApiContextExtras>();
  const router = new Router<ApiState, ApiContextExtras>();

  const routes = apiRoutes(deps, () => openApi);
  const openApi = buildOpenApiDocument(routes);
  mountRoutes(router, routes, {
    auth: [authenticate(deps.db), rateLimit(deps.rateLimiter)],
    body: jsonBody(deps.options?.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES),
  });

  app.use(requestId(deps.logger));
  app.use(accessLog(deps.metrics));
  app.use(errorMapper());
  app.use(helmet());
  app.use(async (ctx, next) => {
    // Answers are per key and change as runs progress: no cache may keep them (the event stream says no-cache itself).
    ctx.set("Cache-Control", "no-store");
    await next();
    if (ctx.status === 404 && ctx.body === undefined) {
      // No route matched. A known path with another method also lands here: the error codes have no
      // 405, so it is a not_found that names the methods the path does serve (and sets Allow).
      const allowed = [...new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods))];
      if (allowed.length > 0) ctx.set("Allow", allowed.join(", "));
      throw new AppError("not_found", allowed.length > 0 ? `${ctx.method} is not served at ${ctx.path}; use ${allowed.join(" or ")}` : `no route ${ctx.method} ${ctx.path}`, allowed.length > 0 ? { allowed } : undefined);
    }
  });
  app.use(router.routes());
  // Last: only what no route answered reaches the web UI (and an unknown /v1 path stays a JSON 404).
  app.use(webUi());

  // Errors after the answer started (a broken event stream) never reach the mapper; Koa reports them here.
  app.on("error", (error: unknown) => deps.logger.error({ err: error }, "error after the response started"));
  return app;
}
