/**
 * `GET /v1/runs/:id/stream`: a run's progress as Server-Sent Events.
 *
 * The live subscription is opened before the persisted steps are read, and live events are held
 * back until those steps are sent, so nothing that happens in between is lost; a live event whose
 * seq was already sent as a step is dropped. Frames:
 * - `event: step`, `id: <seq>`: a persisted step `{ runId, seq, kind, payload, usage, createdAt }`;
 * - `event: <type>` (`id: <seq>` when it has one): a live RunEvent from agent/events.ts;
 * - `event: finished` ends the stream once the run is terminal (sent from the stored run when the run
 *   was already over, so a client always learns why the stream ended and need not reconnect);
 * - `: heartbeat` comments keep proxies from closing an idle stream.
 */
import { PassThrough } from "node:stream";
import type { RunEvent } from "../../../agent/events.js";
import type { DomainContext } from "../../../domain/context.js";
import { getRun, isTerminalRunStatus, listRunSteps } from "../../../domain/runs.js";
import type { Run, RunStep } from "../../../drizzle/schema/index.js";
import type { RunProgressSource } from "../../deps.js";
import type { ApiContext } from "../../state.js";
import { presentStep } from "./schema.js";

export interface StreamRunOptions {
  domain: DomainContext;
  runId: string;
  /** From Last-Event-ID: the client already has every step up to this seq. */
  afterSeq: number | undefined;
  progress: RunProgressSource;
  heartbeatMs: number;
}

/** One SSE frame. JSON.stringify escapes newlines, so the data always fits on one `data:` line. */
function frame(event: string, data: unknown, id?: number): string {
  return `${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function finishedFromRow(run: Run): Extract<RunEvent, { type: "finished" }> {
  const text = run.result?.text;
  return { type: "finished", runId: run.id, status: run.status, ...(typeof text === "string" ? { text } : {}), ...(run.error ? { error: run.error } : {}) };
}

export async function streamRun(ctx: ApiContext, options: StreamRunOptions): Promise<void> {
  const { domain, progress } = options;
  // Unknown or another workspace's run: an ordinary JSON 404, before any stream exists.
  const runId = (await getRun(domain, options.runId)).id;
  const log = ctx.state.log.child({ runId });

  const stream = new PassThrough();
  let lastSeq = options.afterSeq ?? -1;
  let replaying = true;
  let closed = false;
  let checking = false;
  const held: RunEvent[] = [];
  let heartbeat: NodeJS.Timeout | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;

  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    heartbeat = undefined;
    stream.end();
    unsubscribe?.().catch((error: unknown) => log.warn({ err: error }, "could not unsubscribe from run progress"));
  };
  const write = (text: string) => {
    if (!closed) stream.write(text);
  };
  const sendStep = (step: RunStep) => {
    if (step.seq <= lastSeq) return;
    lastSeq = step.seq;
    write(frame("step", { runId, ...presentStep(step) }, step.seq));
  };
  const sendLive = (event: RunEvent) => {
    if ("seq" in event) {
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      write(frame(event.type, event, event.seq));
    } else {
      write(frame(event.type, event));
    }
    // "finished" also reports a pause for approval; only a terminal status ends the stream.
    if (event.type === "finished" && isTerminalRunStatus(event.status)) close();
  };
  /** Send what the database has that the client lacks, and end if the run is over. */
  const catchUp = async (): Promise<Run> => {
    const run = await getRun(domain, runId);
    for (const step of await listRunSteps(domain, runId, { afterSeq: lastSeq })) sendStep(step);
    if (isTerminalRunStatus(run.status)) {
      write(frame("finished", finishedFromRow(run)));
      close();
    }
    return run;
  };

  try {
    unsubscribe = await progress.subscribe(runId, (event) => {
      if (closed) return;
      if (replaying) held.push(event);
      else sendLive(event);
    });
  } catch (error) {
    close();
    throw error;
  }

  write(": stream of run progress\n\n");
  try {
    // Written into the stream's buffer before Koa starts sending, so a failure here is still a JSON 500.
    await catchUp();
  } catch (error) {
    close();
    throw error;
  }

  ctx.status = 200;
  ctx.body = stream;
  ctx.type = "text/event-stream";
  // no-cache: intermediaries must not store the stream; X-Accel-Buffering: nginx must pass each frame on at once.
  ctx.set("Cache-Control", "no-cache");
  ctx.set("X-Accel-Buffering", "no");
  ctx.req.socket.setNoDelay(true);
  // A quiet stream is legitimate (a run waiting days for approval); the heartbeat, not a socket timeout, keeps it alive.
  ctx.req.socket.setTimeout(0);
  ctx.res.once("close", close);
  if (closed) return;

  replaying = false;
  for (const event of held.splice(0)) {
    if (closed) break;
    sendLive(event);
  }
  if (closed) return;

  heartbeat = setInterval(() => {
    write(": heartbeat\n\n");
    // A lost pub/sub message, or a run cancelled while queued (no worker to announce it), would
    // otherwise leave the stream open forever: the stored run is the arbiter.
    if (checking || closed) return;
    checking = true;
    // Only a finished run is caught up from the database; while it runs, live events carry the steps.
    getRun(domain, runId)
      .then((run) => (isTerminalRunStatus(run.status) ? catchUp() : run))
      .catch((error: unknown) => log.warn({ err: error }, "could not check the run during a heartbeat"))
      .finally(() => {
        checking = false;
      });
  }, options.heartbeatMs);
  heartbeat.unref();
}
