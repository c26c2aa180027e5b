/**
 * Follows `GET /v1/runs/:id/stream` with fetch, because EventSource cannot send the Authorization
 * header. Frames are parsed as the SSE spec says (event, id, data; comments ignored). When the
 * connection drops before the run is over, it reconnects with Last-Event-ID, so the server resends
 * only the steps after the last one received. It stops on a terminal `finished` frame, on a 4xx
 * (the run is gone or the key was revoked) or when aborted.
 */
import { ApiError } from "./api";
import { TERMINAL_STATUSES, type RunStatus } from "./types";

export interface SseFrame {
  event: string;
  id?: string;
  data: string;
}

export type Connection = "connecting" | "live" | "reconnecting" | "closed";

export interface FollowOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  onFrame: (frame: SseFrame) => void;
  onConnection: (state: Connection, detail?: string) => void;
  /** The seq of the last step the caller already has (from GET /v1/runs/:id): only later ones are sent. */
  lastEventId?: string;
  /** Waits between attempts grow to this (ms). */
  maxBackoffMs?: number;
}

/** Split a buffer into complete frames; the incomplete tail is returned for the next chunk. */
export function parseFrames(buffer: string): { frames: SseFrame[]; rest: string } {
  const normalized = buffer.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  const frames: SseFrame[] = [];
  for (const block of blocks) {
    let event = "message";
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "id") id = value;
      else if (field === "data") data.push(value);
    }
    if (data.length > 0) frames.push({ event, ...(id !== undefined ? { id } : {}), data: data.join("\n") });
  }
  return { frames, rest };
}

function isTerminalFinish(frame: SseFrame): boolean {
  if (frame.event !== "finished") return false;
  try {
    const status = (JSON.parse(frame.data) as { status?: RunStatus }).status;
    return status !== undefined && TERMINAL_STATUSES.includes(status);
  } catch {
    return false;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export async function followRun(runId: string, options: FollowOptions): Promise<void> {
  const { signal, onFrame, onConnection } = options;
  const maxBackoff = options.maxBackoffMs ?? 10_000;
  let lastEventId = options.lastEventId;
  let attempt = 0;
  while (!signal.aborted) {
    onConnection(attempt === 0 ? "connecting" : "reconnecting");
    try {
      const response = await fetch(`/v1/runs/${encodeURIComponent(runId)}/stream`, {
        headers: { ...options.headers, Accept: "text/event-stream", ...(lastEventId !== undefined ? { "Last-Event-ID": lastEventId } : {}) },
        signal,
        cache: "no-store",
      });
      if (response.status >= 400 && response.status < 500) {
        const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
        throw new ApiError(response.status, body.error?.code ?? `http_${response.status}`, body.error?.message ?? `The run stream answered ${response.status}.`);
      }
      if (!response.ok || !response.body) throw new Error(`The run stream answered ${response.status}.`);
      onConnection("live");
      attempt = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const parsed = parseFrames(buffer);
        buffer = parsed.rest;
        for (const frame of parsed.frames) {
          if (frame.id !== undefined) lastEventId = frame.id;
          onFrame(frame);
          if (isTerminalFinish(frame)) {
            onConnection("closed");
            await reader.cancel().catch(() => undefined);
            return;
          }
        }
      }
    } catch (error) {
      if (signal.aborted) break;
      if (error instanceof ApiError) {
        onConnection("closed", error.message);
        return;
      }
    }
    if (signal.aborted) break;
    // The stream ended before the run did (a restart, a proxy, a network blip): try again, backing off.
    attempt += 1;
    onConnection("reconnecting", "The live connection dropped; reconnecting…");
    await sleep(Math.min(500 * 2 ** (attempt - 1), maxBackoff), signal);
  }
  onConnection("closed");
}
