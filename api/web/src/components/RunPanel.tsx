/**
 * A run, live: every step as it happens (tool calls collapsed, with arguments and results), usage and
 * cost, errors in plain words, and the connection state. Loads the stored run first, then follows the
 * stream, which reconnects by itself after a drop.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../api";
import { useApi } from "../context";
import { count, toolName, usd } from "../format";
import { Link } from "../router";
import { emptyView, summedUsage, timeline, withFrame, withRun, type RunView, type TimelineItem } from "../run-view";
import { followRun, type Connection } from "../stream";
import { TERMINAL_STATUSES, type RunStatus } from "../types";
import { RunStatusChip } from "./Status";

function pretty(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

function Item({ item }: { item: TimelineItem }) {
  switch (item.type) {
    case "turn":
      return (
        <li class="step turn">
          <span class="step-title">Model turn {item.turn + 1}</span>
          {item.text ? <p class="turn-text">{item.text}</p> : null}
          {item.tools.length > 0 ? <p class="muted small">Calls {item.tools.map(toolName).join(", ")}</p> : null}
          {item.usage.inputTokens + item.usage.outputTokens > 0 ? (
            <p class="muted small">
              {count(item.usage.inputTokens)} in · {count(item.usage.outputTokens)} out · {usd(item.usage.costMicros)}
            </p>
          ) : null}
        </li>
      );
    case "tool": {
      const state = !item.result ? "running…" : item.result.isError ? "failed" : "done";
      return (
        <li class={`step tool ${item.result?.isError ? "failed" : ""}`}>
          <details>
            <summary>
              <span class="step-title">{toolName(item.tool)}</span> <span class={`small ${item.result?.isError ? "error-text" : "muted"}`}>{state}</span>
            </summary>
            <h4>Arguments</h4>
            <pre>{item.args === undefined ? "(not recorded)" : JSON.stringify(item.args, null, 2)}</pre>
            {item.result ? (
              <>
                <h4>{item.result.isError ? "Error" : "Result"}</h4>
                <pre>{pretty(item.result.content)}</pre>
              </>
            ) : null}
          </details>
        </li>
      );
    }
    case "approval_requested":
      return (
        <li class="step approval">
          <span class="step-title">Waiting for approval: {toolName(item.tool)}</span>
          <p>{item.summary}</p>
          {item.reasons.length > 0 ? <p class="muted small">Because {item.reasons.join("; ")}.</p> : null}
        </li>
      );
    case "approval_decided":
      return (
        <li class="step decided">
          <span class="step-title">
            Approval {item.status}
            {item.edited ? " with edited arguments" : ""}
          </span>
          {item.note ? <p class="muted small">Note: {item.note}</p> : null}
        </li>
      );
    case "status":
      return (
        <li class="step status">
          <span class="muted small">
            Status: {item.to.replace(/_/g, " ")}
            {item.reason && item.reason !== "resumed" ? ` — ${item.reason}` : item.reason === "resumed" ? " (resumed)" : ""}
          </span>
        </li>
      );
  }
}

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Connection lost; reconnecting…",
  closed: "Finished",
};

export function RunPanel({ runId, onStatus }: { runId: string; onStatus?: (status: RunStatus) => void }) {
  const api = useApi();
  const [view, setView] = useState<RunView>(emptyView);
  const [connection, setConnection] = useState<Connection>("connecting");
  const [problem, setProblem] = useState<string>();
  const onStatusRef = useRef(onStatus);
  onStatusRef.current = onStatus;

  useEffect(() => {
    const abort = new AbortController();
    setView(emptyView());
    setProblem(undefined);
    const refresh = () =>
      api.run(runId).then(
        (run) => {
          if (!abort.signal.aborted) setView((current) => withRun(current, run));
          return run;
        },
        (error: unknown) => {
          if (!abort.signal.aborted) setProblem(describeError(error));
          return undefined;
        },
      );
    void refresh().then((run) => {
      if (!run) return;
      return followRun(runId, {
        headers: api.authHeaders(),
        signal: abort.signal,
        // The stored steps are on screen already: the stream starts after them.
        ...(run && run.steps.length > 0 ? { lastEventId: String(Math.max(...run.steps.map((step) => step.seq))) } : {}),
        onFrame: (frame) => {
          setView((current) => withFrame(current, frame));
          // The stream's finished frame has no totals: the stored run has them.
          if (frame.event === "finished") void refresh();
        },
        onConnection: (state, detail) => {
          setConnection(state);
          if (state === "closed" && detail) setProblem(detail);
        },
      });
    });
    return () => abort.abort();
  }, [api, runId]);

  useEffect(() => {
    if (view.status) onStatusRef.current?.(view.status);
  }, [view.status]);

  const usage = summedUsage(view);
  const items = timeline(view);
  const terminal = view.status !== undefined && TERMINAL_STATUSES.includes(view.status);
  const cancel = async () => {
    try {
      const run = await api.cancelRun(runId);
      setView((current) => withRun(current, run));
    } catch (error) {
      setProblem(describeError(error));
    }
  };

  return (
    <section class="run-panel" aria-labelledby={`run-${runId}`} data-run-id={runId} data-status={view.status ?? ""}>
      <div class="run-head">
        <h2 id={`run-${runId}`}>Run</h2>
        {view.status ? <RunStatusChip status={view.status} /> : null}
        <span class={`connection connection-${connection}`} role="status" aria-live="polite">
          {terminal ? "Finished" : CONNECTION_TEXT[connection]}
        </span>
      </div>
      <dl class="usage">
        <div>
          <dt>Tokens in</dt>
          <dd>{count(usage.inputTokens + usage.cacheWriteTokens + usage.cacheReadTokens)}</dd>
        </div>
        <div>
          <dt>Tokens out</dt>
          <dd>{count(usage.outputTokens)}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{usd(usage.costMicros)}</dd>
        </div>
        <div>
          <dt>Steps</dt>
          <dd>{count(view.steps.size)}</dd>
        </div>
      </dl>
      {view.status === "failed" || view.error ? (
        <p class="error" role="alert">
          The run stopped: {view.error?.message ?? "no reason was recorded."}
        </p>
      ) : null}
      {problem ? (
        <p class="error" role="alert">
          {problem}
        </p>
      ) : null}
      {view.eventIds.map((id) => (
        <p key={id}>
          <Link href={`/events/${id}`} class="button-link">
            Open the event page
          </Link>
        </p>
      ))}
      <ol class="timeline" aria-label="Steps">
        {items.map((item) => (
          <Item key={item.seq} item={item} />
        ))}
        {view.streamingText ? (
          <li class="step turn streaming">
            <span class="step-title">Writing…</span>
            <p class="turn-text">{view.streamingText}</p>
          </li>
        ) : null}
      </ol>
      {!terminal && view.status ? (
        <button type="button" class="secondary" onClick={() => void cancel()}>
          Cancel run
        </button>
      ) : null}
    </section>
  );
}
