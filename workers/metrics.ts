/**
 * What the workers tell Prometheus: runs by outcome and duration, steps, model tokens and cost,
 * tool calls by outcome, queue depth by state and approvals waiting. Counters follow the progress
 * events of the runs this process works on; the gauges are read when Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { RunEvent } from "../agent/events.js";
import { executeRows, type Database } from "../drizzle/client.js";
import { sql } from "drizzle-orm";

export interface RunMetrics {
  observe(event: RunEvent): void;
}

/** Register the run and queue metrics on `registry`; `depth` and `db` feed the scrape-time gauges. */
export function registerRunMetrics(registry: Registry, sources: { depth?: () => Promise<Record<string, number>>; db?: Database }): RunMetrics {
  const runsFinished = new Counter({ name: "agent_runs_finished_total", help: "Runs that ended or paused, by status", labelNames: ["status"] as const, registers: [registry] });
  const runDuration = new Histogram({
    name: "agent_run_segment_seconds",
    help: "Time a worker spent on a run before it ended or paused, by status",
    labelNames: ["status"] as const,
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900],
    registers: [registry],
  });
  const steps = new Counter({ name: "agent_steps_total", help: "Persisted run steps, by kind", labelNames: ["kind"] as const, registers: [registry] });
  const tokens = new Counter({ name: "llm_tokens_total", help: "Model tokens, by kind (input, output, cache_write, cache_read)", labelNames: ["kind"] as const, registers: [registry] });
  const cost = new Counter({ name: "llm_cost_usd_total", help: "Model cost in US dollars, from the price table", registers: [registry] });
  const toolCalls = new Counter({ name: "agent_tool_calls_total", help: "Tool results, by tool and outcome", labelNames: ["tool", "outcome"] as const, registers: [registry] });
  const approvalsRequested = new Counter({ name: "agent_approvals_requested_total", help: "Approval requests raised by runs", registers: [registry] });
  const started = new Map<string, number>();

  if (sources.depth) {
    const depth = sources.depth;
    new Gauge({
      name: "queue_jobs",
      help: "Agent run jobs in the queue, by state",
      labelNames: ["state"] as const,
      registers: [registry],
      async collect() {
        for (const [state, count] of Object.entries(await depth())) this.set({ state }, count);
      },
    });
  }
  if (sources.db) {
    const db = sources.db;
    new Gauge({
      name: "approvals_pending",
      help: "Approvals waiting for a person, across workspaces",
      registers: [registry],
      async collect() {
        const [row] = await executeRows<{ pending: string | number }>(db, sql`select count(*) as pending from approvals where status = 'pending'`);
        this.set(Number(row?.pending ?? 0));
      },
    });
  }

  return {
    observe(event) {
      switch (event.type) {
        case "run_started":
          started.set(event.runId, Date.now());
          break;
        case "model_turn":
          steps.inc({ kind: "model_turn" });
          tokens.inc({ kind: "input" }, event.usage.inputTokens);
          tokens.inc({ kind: "output" }, event.usage.outputTokens);
          tokens.inc({ kind: "cache_write" }, event.usage.cacheWriteTokens);
          tokens.inc({ kind: "cache_read" }, event.usage.cacheReadTokens);
          cost.inc(event.costMicros / 1e6);
          break;
        case "tool_call":
          steps.inc({ kind: "tool_call" });
          break;
        case "tool_result":
          steps.inc({ kind: "tool_result" });
          toolCalls.inc({ tool: event.tool, outcome: event.isError ? "error" : "ok" });
          break;
        case "approval_requested":
          steps.inc({ kind: "approval_requested" });
          approvalsRequested.inc();
          break;
        case "approval_decided":
          steps.inc({ kind: "approval_decided" });
          break;
        case "finished": {
          runsFinished.inc({ status: event.status });
          const since = started.get(event.runId);
          started.delete(event.runId);
          if (since !== undefined) runDuration.observe({ status: event.status }, (Date.now() - since) / 1000);
          break;
        }
        default:
          break;
      }
    },
  };
}
