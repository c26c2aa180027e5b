/**
 * HTTPS requests that trust one certificate (the test's self-signed one), and an event-stream
 * reader over the same, for talking to nginx the way a client on the internet does.
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { parseSseFrames, type SseFrame } from "../../api/testing/sse.js";

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

function collect(response: IncomingMessage): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on("data", (chunk: Buffer) => chunks.push(chunk));
    response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8") }));
    response.on("error", reject);
  });
}

export function httpsClient(port: number, ca: string) {
  const open = (path: string, options: RequestOptions, onResponse: (response: IncomingMessage) => void) => {
    const body = options.body;
    const req = httpsRequest({
      host: "127.0.0.1",
      port,
      path,
      method: options.method ?? "GET",
      ca,
      agent: false,
      headers: { ...(body !== undefined ? { "content-length": String(Buffer.byteLength(body)) } : {}), ...options.headers },
    });
    req.on("response", onResponse);
    return { req, body };
  };
  return {
    request(path: string, options: RequestOptions = {}): Promise<Answer> {
      return new Promise((resolve, reject) => {
        const { req, body } = open(path, options, (response) => void collect(response).then(resolve, reject));
        req.on("error", reject);
        req.end(body);
      });
    },
    /** Open an event stream; frames are read one at a time as they arrive. */
    stream(path: string, headers: Record<string, string>): Promise<EventStream> {
      return new Promise((resolve, reject) => {
        const { req } = open(path, { headers: { accept: "text/event-stream", ...headers } }, (response) => resolve(new EventStream(response, () => req.destroy())));
        req.on("error", reject);
        req.end();
      });
    },
  };
}

export function httpGet(port: number, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false }, (response) => void collect(response).then(resolve, reject));
    req.on("error", reject);
    req.end();
  });
}

export class EventStream {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  private buffer = "";
  private readonly frames: SseFrame[] = [];
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(response: IncomingMessage, private readonly abort: () => void) {
    this.status = response.statusCode ?? 0;
    this.headers = response.headers;
    response.setEncoding("utf8");
    response.on("data", (chunk: string) => {
      this.buffer += chunk;
      const parsed = parseSseFrames(this.buffer);
      this.buffer = parsed.rest;
      this.frames.push(...parsed.frames);
      this.wake?.();
    });
    const finish = () => {
      this.ended = true;
      this.wake?.();
    };
    response.on("end", finish);
    response.on("error", finish);
  }

  /** The next frame, or undefined once the stream has ended. */
  async next(): Promise<SseFrame | undefined> {
    while (this.frames.length === 0 && !this.ended) await new Promise<void>((resolve) => (this.wake = resolve));
    return this.frames.shift();
  }

  close(): void {
    this.abort();
  }
}
