import { describeError } from "../api";
import { label } from "../format";
import type { RunStatus } from "../types";

const STATUS_TEXT: Record<RunStatus, string> = {
  queued: "Queued",
  running: "Working",
  awaiting_approval: "Waiting for your approval",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function RunStatusChip({ status }: { status: RunStatus }) {
  return <span class={`chip status-${status}`}>{STATUS_TEXT[status] ?? label(status)}</span>;
}

export function Chip({ value, tone }: { value: string; tone?: string }) {
  return <span class={`chip ${tone ? `tone-${tone}` : ""}`}>{label(value)}</span>;
}

export function LoadError({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <p>{describeError(error)}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
