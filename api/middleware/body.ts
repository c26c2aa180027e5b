import { bodyParser } from "@koa/bodyparser";
import type { Middleware } from "koa";
import { ValidationError } from "../../lib/errors.js";
import type { ApiContextExtras, ApiState } from "../state.js";

/**
 * JSON bodies only, within `limitBytes` (larger ones get 413 from the parser, which the error mapper
 * names). A body of another type is refused rather than silently read as `{}`. Mounted per route,
 * not on the whole app, so routes that need the raw bytes (signed webhooks) can read them untouched.
 */
export function jsonBody(limitBytes: number): Middleware<ApiState, ApiContextExtras> {
  const parse = bodyParser({ enableTypes: ["json"], jsonLimit: limitBytes, jsonStrict: true, encoding: "utf-8" });
  return async (ctx, next) => {
    // An empty POST (Content-Length: 0) is fine whatever its type: the body schema decides about `{}`.
    const length = ctx.request.length;
    const hasContent = length !== undefined ? length > 0 : ctx.get("Transfer-Encoding") !== "";
    if (hasContent && !ctx.request.is("json")) throw new ValidationError("Content-Type: must be application/json", { field: "Content-Type" });
    await parse(ctx, next);
  };
}
