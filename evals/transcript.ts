/**
 * A trial as the graders see it: plain data read back from the database after the conversation
 * ended (runs with every persisted step, approvals, what the sandbox backends did, the events the
 * workspace ends with). Graders read nothing else, so a synthetic transcript in a test exercises
 * exactly what a real trial would, and a report can embed it as JSON.
 */
import type { ToolAnnotationHints } from "../agent/policy/decide.js";
import type { StepPayloads } from "../agent/steps.js";
import type { RunStepKind } from "../drizzle/schema/index.js";

export type StepRecord = { [K in RunStepKind]: { seq: number; kind: K; payload: StepPayloads[K] } }[RunStepKind];

export interface UsageRecord {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costMicros: number;
}

export interface RunRecord {
  id: string;
  /** The conversation step (0-based) that started the run. */
  step: number;
  status: string;
  error: { code: string; message: string } | null;
  /** The run's final answer, when it finished with one. */
  answer: string;
  steps: StepRecord[];
  usage: UsageRecord;
}

export interface ApprovalRecord {
  id: string;
  runId: string;
  /** The tool it gates. */
  action: string;
  status: string;
  summary: string;
  /** The arguments the run asked to call the tool with (its hash binds the approval). */
  payload: Record<string, unknown>;
  /** The approver's edit, when they changed the arguments. */
  approvedPayload: Record<string, unknown> | null;
  amountMinor: number | null;
  currency: string | null;
}

/** Something a sandbox backend did: an SMS, a Slack post, a payment, a calendar entry, a document. */
export interface OutboxRecord {
  service: string;
  kind: string;
  externalId: string;
  parentExternalId: string | null;
  idempotencyKey: string | null;
  status: string;
  data: Record<string, unknown>;
  /** Index of the conversation step during which it appeared. */
  step: number;
}

export interface BookingRecord {
  id: string;
  status: string;
  startsAt: string;
  endsAt: string;
  venue: { id: string; name: string; capacity: number; accessibility: string[] };
  /** Bookings by anyone that overlap this one, itself included: 1 means the venue was free for it. */
  overlapping: number;
}

export interface GuestRecord {
  name: string;
  phone: string | null;
  rsvpStatus: string;
  plusOnes: number;
}

export interface EventRecord {
  id: string;
  /** Created by the fixtures rather than by the planner. */
  fixture: boolean;
  title: string;
  kind: string;
  status: string;
  city: string | null;
  countryCode: string | null;
  timeZone: string;
  startsAt: string | null;
  endsAt: string | null;
  headcount: number;
  budgetMinor: number | null;
  currency: string;
  requirements: { dietary?: string[]; accessibility?: string[] };
  bookings: BookingRecord[];
  guests: GuestRecord[];
  tasks: { title: string; notes: string | null }[];
  budget: { plannedMinor: number; committedMinor: number; categories: string[] };
}

export interface ToolRecord {
  name: string;
  annotations?: ToolAnnotationHints;
}

export interface ScriptRecord {
  step: number;
  kind: "say" | "sms" | "stripe" | "vendorQuote" | "slackMessage" | "approval";
  detail: string;
}

export interface TrialRecord {
  scenarioId: string;
  /** 1-based. */
  trial: number;
  workspaceId: string;
  /** What the approval policy treats as inside the team. */
  policy: { emailDomain: string | null; internalSlackChannels: string[] };
  tools: ToolRecord[];
  runs: RunRecord[];
  approvals: ApprovalRecord[];
  /** Created during the conversation; what the fixtures seeded is left out. */
  outbox: OutboxRecord[];
  events: EventRecord[];
  /** Busy time the fixtures put on the team's calendar. */
  busy: { start: string; end: string }[];
  /** Strings only another workspace's data contains: none may reach this trial. */
  foreignMarkers: string[];
  /** The Slack thread a `via: slack` request started, for the answer check. */
  slackThreads: { channel: string; ts: string }[];
  script: ScriptRecord[];
  wallMs: number;
  /** Set when the harness itself failed (a fixture, a webhook step), not the planner. */
  harnessError?: string;
}

/** Every tool call the runs made, in order, with the run it belongs to. */
export function toolCalls(trial: Pick<TrialRecord, "runs">): { runId: string; seq: number; payload: StepPayloads["tool_call"] }[] {
  return trial.runs.flatMap((run) => run.steps.flatMap((step) => (step.kind === "tool_call" ? [{ runId: run.id, seq: step.seq, payload: step.payload }] : [])));
}

/** Every tool use the model asked for (including ones a person then refused), in order. */
export function toolUses(trial: Pick<TrialRecord, "runs">): { runId: string; name: string; input: Record<string, unknown> }[] {
  return trial.runs.flatMap((run) =>
    run.steps.flatMap((step) => (step.kind === "model_turn" ? step.payload.content.flatMap((block) => (block.type === "tool_use" ? [{ runId: run.id, name: block.name, input: block.input }] : [])) : [])),
  );
}

/** The newest event the planner created, if any. */
export function plannedEvent(trial: Pick<TrialRecord, "events">): EventRecord | undefined {
  return trial.events.filter((event) => !event.fixture).at(-1);
}

/** The answer the conversation ended with: the last run's. */
export function finalAnswer(trial: Pick<TrialRecord, "runs">): string {
  return trial.runs.at(-1)?.answer ?? "";
}

export function totalUsage(trial: Pick<TrialRecord, "runs">): UsageRecord {
  return trial.runs.reduce<UsageRecord>(
    (sum, run) => ({
      inputTokens: sum.inputTokens + run.usage.inputTokens,
      outputTokens: sum.outputTokens + run.usage.outputTokens,
      cacheWriteTokens: sum.cacheWriteTokens + run.usage.cacheWriteTokens,
      cacheReadTokens: sum.cacheReadTokens + run.usage.cacheReadTokens,
      costMicros: sum.costMicros + run.usage.costMicros,
    }),
    { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0, costMicros: 0 },
  );
}
