/**
 * A fake Anthropic Messages API for tests: POST /v1/messages on 127.0.0.1 answers from a script,
 * one entry per HTTP request (so an SDK retry consumes an entry), as JSON or as SSE when the body
 * asks for `stream: true`. The real SDK points at it through `baseURL`.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";

export type FakeContentBlock =
  | { type: "text"; text: string }
  /** `rawInputJson` replaces `input` on the wire, to script a model sending malformed arguments. */
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown>; rawInputJson?: string };

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export interface FakeResponse {
  content: FakeContentBlock[];
  stop_reason: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal";
  usage: FakeUsage;
  model?: string;
  /** Answer only once this settles: a model call kept in flight while a test kills or stops its caller. */
  hold?: Promise<void>;
}

export interface FakeError {
  error: { status: 429 | 529 | 400 | 401 | 500; type?: string; message?: string };
  /** Sent as `retry-after` (seconds). */
  retryAfterSeconds?: number;
}

export type ScriptedTurn = FakeResponse | FakeError;

/**
 * Instead of a fixed script: choose each answer from the request itself, for tests where several
 * runs call the model concurrently and the order of their requests is not fixed. `undefined` means
 * "no answer scripted for this request" and is recorded as an error.
 */
export type FakeResponder = (request: RecordedRequest, index: number) => ScriptedTurn | undefined;

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: RecordedBody;
}

const recordedBodySchema = z.looseObject({
  model: z.string(),
  max_tokens: z.number(),
  stream: z.boolean().optional(),
  system: z.unknown().optional(),
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  messages: z.array(z.looseObject({ role: z.string(), content: z.unknown() })),
});
export type RecordedBody = z.infer<typeof recordedBodySchema>;

export interface FakeAnthropic {
  /** Pass as the SDK's `baseURL`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Problems the fake saw (calls beyond the script, bad bodies); tests should expect none. */
  readonly errors: string[];
  /** Throws unless every scripted turn was consumed and no errors were recorded. */
  assertAllUsed(): void;
  close(): Promise<void>;
}

const ERROR_TYPES: Record<FakeError["error"]["status"], string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

function isError(turn: ScriptedTurn): turn is FakeError {
  return "error" in turn;
}

function wireInput(block: Extract<FakeContentBlock, { type: "tool_use" }>): string {
  return block.rawInputJson ?? JSON.stringify(block.input);
}

/** Split into a few pieces so clients really assemble deltas rather than receive one chunk. */
function chunks(text: string, count = 3): string[] {
  if (text.length <= 1) return [text];
  const size = Math.ceil(text.length / count);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

function messageId(n: number): string {
  return `msg_fake_${String(n).padStart(4, "0")}`;
}

function usageOf(usage: FakeUsage): Record<string, number> {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", "request-id": `req_fake_${Date.now()}`, ...headers });
  res.end(JSON.stringify(body));
}

function sendStream(res: ServerResponse, id: string, model: string, turn: FakeResponse): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const event = (name: string, data: unknown): void => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const usage = usageOf(turn.usage);
  // The real API reports input and cache counts in message_start and a running output count.
  event("message_start", {
    type: "message_start",
    message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  event("ping", { type: "ping" });
  turn.content.forEach((block, index) => {
    if (block.type === "text") {
      event("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      for (const piece of chunks(block.text)) event("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } });
    } else {
      event("content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } });
      for (const piece of chunks(wireInput(block), 4)) event("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: piece } });
    }
    event("content_block_stop", { type: "content_block_stop", index });
  });
  event("message_delta", { type: "message_delta", delta: { stop_reason: turn.stop_reason, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  event("message_stop", { type: "message_stop" });
  res.end();
}

function jsonMessage(id: string, model: string, turn: FakeResponse): unknown {
  const content = turn.content.map((block) =>
    block.type === "text" ? { type: "text", text: block.text, citations: null } : { type: "tool_use", id: block.id, name: block.name, input: block.rawInputJson === undefined ? block.input : {} },
  );
  return { id, type: "message", role: "assistant", model, content, stop_reason: turn.stop_reason, stop_sequence: null, usage: usageOf(turn.usage) };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

export async function startFakeAnthropic(script: ScriptedTurn[] | FakeResponder): Promise<FakeAnthropic> {
  const remaining = typeof script === "function" ? [] : [...script];
  const requests: RecordedRequest[] = [];
  const errors: string[] = [];
  const next = (request: RecordedRequest): ScriptedTurn | undefined => (typeof script === "function" ? script(request, requests.length - 1) : remaining.shift());
  const beyond = typeof script === "function" ? "has no answer from the responder" : `is beyond the script of ${script.length} turns`;
  let served = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (req.method !== "POST" || path !== "/v1/messages") {
      errors.push(`unexpected ${req.method} ${req.url}`);
      sendJson(res, 404, { type: "error", error: { type: "not_found_error", message: `fake Anthropic: no route ${req.method} ${path}` } });
      return;
    }
    const parsed = recordedBodySchema.safeParse(JSON.parse(await readBody(req)));
    if (!parsed.success) {
      errors.push(`bad request body: ${parsed.error.message}`);
      sendJson(res, 400, { type: "error", error: { type: "invalid_request_error", message: parsed.error.message } });
      return;
    }
    const request: RecordedRequest = { method: req.method, path, headers: req.headers, body: parsed.data };
    requests.push(request);
    const turn = next(request);
    if (!turn) {
      errors.push(`call ${requests.length} ${beyond}`);
      // x-should-retry: false so the SDK surfaces this at once rather than retrying into it.
      sendJson(res, 500, { type: "error", error: { type: "api_error", message: "fake Anthropic: no scripted turn left" } }, { "x-should-retry": "false" });
      return;
    }
    if (isError(turn)) {
      const { status } = turn.error;
      const type = turn.error.type ?? ERROR_TYPES[status];
      const headers: Record<string, string> = {};
      if (turn.retryAfterSeconds !== undefined || status === 429) {
        headers["retry-after"] = String(turn.retryAfterSeconds ?? 0);
      }
      // The SDK treats a zero retry-after as "no hint" and backs off for 0.5 s and more; the
      // millisecond header (which it reads first) keeps scripted retries fast.
      if (status === 429 || status >= 500) headers["retry-after-ms"] = "1";
      sendJson(res, status, { type: "error", error: { type, message: turn.error.message ?? `fake ${type}` } }, headers);
      return;
    }
    if (turn.hold) await turn.hold;
    // The caller may be gone (killed while it waited): nothing to answer.
    if (res.destroyed || req.socket.destroyed) return;
    served += 1;
    const id = messageId(served);
    const model = turn.model ?? parsed.data.model;
    if (parsed.data.stream === true) sendStream(res, id, model, turn);
    else sendJson(res, 200, jsonMessage(id, model, turn));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      errors.push(`fake Anthropic crashed: ${String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { type: "error", error: { type: "api_error", message: "fake Anthropic crashed" } }, { "x-should-retry": "false" });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    errors,
    assertAllUsed() {
      const problems = [...errors];
      if (remaining.length > 0) problems.push(`${remaining.length} scripted turn(s) were never requested`);
      if (problems.length > 0) throw new Error(`fake Anthropic: ${problems.join("; ")}`);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
