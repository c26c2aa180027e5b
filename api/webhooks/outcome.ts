/**
 * Every webhook ends in one outcome, counted in `webhook_deliveries_total{provider,outcome}`: the
 * figure an operator alerts on (a burst of signature failures is someone probing; `failed` is ours).
 * A handler returns what it did with a verified delivery; refusals are read off the error it threw.
 */
import { Counter, type Registry } from "prom-client";
import { AppError } from "../../lib/errors.js";
import type { WebhookProvider } from "../../drizzle/schema/index.js";
import { ERROR_STATUS } from "../errors.js";
import type { ApiContext } from "../state.js";

/** What a handler did with a delivery whose signature checked out. */
export type HandledOutcome = "accepted" | "duplicate" | "ignored";
export type WebhookOutcome = HandledOutcome | "rejected_signature" | "rejected_stale" | "invalid" | "failed";

const METRIC = "webhook_deliveries_total";

/** One counter per registry: createApi may run more than once over a registry (tests, serve + api). */
function outcomeCounter(registry: Registry): Counter<"provider" | "outcome"> {
  const existing = registry.getSingleMetric(METRIC);
  if (existing) return existing as Counter<"provider" | "outcome">;
  return new Counter({ name: METRIC, help: "Provider webhook requests by outcome", labelNames: ["provider", "outcome"], registers: [registry] });
}

/** Marks a signature refusal as a stale timestamp (a replay or a skewed clock) rather than a forgery. */
export const STALE_REASON = "stale_timestamp";

function refusalOutcome(error: unknown): WebhookOutcome {
  if (!(error instanceof AppError)) return "failed";
  if (error.code === "unauthorized") return error.details?.reason === STALE_REASON ? "rejected_stale" : "rejected_signature";
  return ERROR_STATUS[error.code] >= 500 ? "failed" : "invalid";
}

export type WebhookHandler = (ctx: ApiContext) => Promise<HandledOutcome>;

/** Wraps a handler so each request is counted once, by outcome, whether it returns or throws. */
export function countedWebhook(registry: Registry, provider: WebhookProvider, handler: WebhookHandler): (ctx: ApiContext) => Promise<void> {
  const counter = outcomeCounter(registry);
  return async (ctx) => {
    let outcome: WebhookOutcome = "failed";
    try {
      outcome = await handler(ctx);
    } catch (error) {
      outcome = refusalOutcome(error);
      throw error;
    } finally {
      counter.inc({ provider, outcome });
    }
  };
}
