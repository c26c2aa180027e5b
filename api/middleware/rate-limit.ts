import type { Middleware } from "koa";
import { AppError } from "../../lib/errors.js";
import type { RateLimiter } from "../deps.js";
import type { ApiContextExtras, ApiState } from "../state.js";

/**
 * One allowance per API key, counted behind authentication so a key's traffic is limited wherever
 * it comes from. The RateLimit-* headers (IETF draft names) let a well-behaved client pace itself.
 */
export function rateLimit(limiter: RateLimiter): Middleware<ApiState, ApiContextExtras> {
  return async (ctx, next) => {
    const keyId = ctx.state.auth?.keyId;
    if (!keyId) throw new AppError("unauthorized", "this route requires an API key");
    const decision = await limiter.consume(`key:${keyId}`);
    ctx.set("RateLimit-Limit", String(decision.limit));
    if (!decision.allowed) {
      ctx.set("RateLimit-Remaining", "0");
      ctx.set("RateLimit-Reset", String(decision.retryAfterSeconds));
      throw new AppError("rate_limited", `too many requests for this API key; retry in ${decision.retryAfterSeconds} s`, { retryAfterSeconds: decision.retryAfterSeconds, limit: decision.limit });
    }
    ctx.set("RateLimit-Remaining", String(decision.remaining));
    ctx.set("RateLimit-Reset", String(decision.resetSeconds));
    await next();
  };
}
