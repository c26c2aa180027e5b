import { AppError } from "../../lib/errors.js";
import type { ApiContext } from "../state.js";

function tooLarge(limitBytes: number): AppError {
  return new AppError("payload_too_large", `the webhook body is larger than ${limitBytes} bytes`, { field: "body", limitBytes });
}

/**
 * The request body as the exact bytes that were sent, within `limitBytes` (413 beyond). Webhook
 * routes mount no body parser: a signature is over these bytes, and nothing may be parsed (or
 * trusted) before it is checked. A declared Content-Length over the limit is refused unread; a
 * chunked body that turns out longer is cut off at the limit (leaving the loop destroys the stream:
 * draining an unbounded body to be polite would hand its sender our bandwidth).
 */
export async function readRawBody(ctx: ApiContext, limitBytes: number): Promise<Buffer> {
  const declared = ctx.request.length;
  if (declared !== undefined && declared > limitBytes) throw tooLarge(limitBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer | string>) {
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > limitBytes) throw tooLarge(limitBytes);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}
