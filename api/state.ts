import type { ParameterizedContext } from "koa";
import type { DomainContext } from "../domain/context.js";
import { AppError } from "../lib/errors.js";
import type { Logger } from "../lib/logger.js";

/** What the middleware chain learns about a request, in `ctx.state`. */
export interface ApiState {
  requestId: string;
  /** The access logger's child for this request (carries the request id). */
  log: Logger;
  /** The route template (`/v1/runs/:id`) once a route matched: the metrics label, never the raw path. */
  route?: string;
  /** Set by the auth middleware: the workspace and key the bearer token belongs to. */
  auth?: { keyId: string; workspaceId: string };
}

/** Koa's second type parameter adds fields to ctx; the API adds none (Koa's default allows any). */
export type ApiContextExtras = Record<never, never>;

export type ApiContext = ParameterizedContext<ApiState, ApiContextExtras>;

/**
 * The domain context of an authenticated request: the key's workspace, acting as the key's user.
 * Only reachable behind the auth middleware; the throw guards a route registered without it.
 */
export function domainContext(ctx: ApiContext, db: DomainContext["db"]): DomainContext {
  const auth = ctx.state.auth;
  if (!auth) throw new AppError("unauthorized", "this route requires an API key");
  return { db, workspaceId: auth.workspaceId, actor: { kind: "user", id: auth.keyId } };
}
