import type { Middleware } from "koa";
import { verifyApiKey } from "../../domain/api-keys.js";
import type { Database } from "../../drizzle/client.js";
import { AppError } from "../../lib/errors.js";
import type { ApiContextExtras, ApiState } from "../state.js";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * `Authorization: Bearer <api key>` → the key's workspace, in `ctx.state.auth`. A missing header
 * and a wrong key get different messages (the client's fix differs) but the same 401; which part
 * of a wrong key was wrong is never said.
 */
export function authenticate(db: Database): Middleware<ApiState, ApiContextExtras> {
  return async (ctx, next) => {
    const header = ctx.get("Authorization");
    if (!header) throw new AppError("unauthorized", "missing API key: send the header Authorization: Bearer <api key> (create one with `event-planner keys create --workspace NAME`)");
    const token = BEARER.exec(header)?.[1];
    if (!token) throw new AppError("unauthorized", "malformed Authorization header: expected Authorization: Bearer <api key>");
    const key = await verifyApiKey(db, token);
    if (!key) throw new AppError("unauthorized", "invalid or revoked API key");
    ctx.state.auth = { keyId: key.keyId, workspaceId: key.workspaceId };
    await next();
  };
}
