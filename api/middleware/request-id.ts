import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "../../lib/logger.js";
import type { ApiContextExtras, ApiState } from "../state.js";

/** What a proxy or client may pass as X-Request-Id: short and free of anything that could forge a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Keep the caller's X-Request-Id when it is sane (so one id follows a request through nginx and
 * into our logs), otherwise make one; echo it on the response and bind it to the request's logger.
 */
export function requestId(logger: Logger): Middleware<ApiState, ApiContextExtras> {
  return async (ctx, next) => {
    const offered = ctx.get("X-Request-Id");
    const id = SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.state.requestId = id;
    ctx.state.log = logger.child({ reqId: id });
    ctx.set("X-Request-Id", id);
    await next();
  };
}
