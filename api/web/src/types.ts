/**
 * The API's JSON as the UI reads it: the fields it uses, typed by hand from api/routes/*\/schema.ts
 * (the browser bundle must not import server modules). Money is integer minor units beside an
 * ISO 4217 currency; times are ISO strings.
 */

export type RunStatus = "queued" | "running" | "awaiting_approval" | "succeeded" | "failed" | "cancelled";
export const TERMINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "cancelled"];

export interface Conversation {
  id: string;
  title: string | null;
  channel: string;
  createdAt: string;
  updatedAt: string;
}

export interface Message {
  id: string;
  role: "user" | "assistant";
  content: string;
  runId: string | null;
  createdAt: string;
}

export interface RunRow {
  id: string;
  status: RunStatus;
  triggerMessageId: string | null;
  createdAt: string;
}

export interface Thread extends Conversation {
  messages: Message[];
  runs: RunRow[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
  costMicros: number;
}

export interface RunStep {
  seq: number;
  kind: "model_turn" | "tool_call" | "tool_result" | "approval_requested" | "approval_decided" | "status_change";
  payload: Record<string, unknown>;
  usage: Usage;
  createdAt: string;
}

export interface Run {
  id: string;
  conversationId: string;
  status: RunStatus;
  provider: string | null;
  model: string | null;
  steps: RunStep[];
  usage: Usage;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface Accepted {
  runId: string;
  conversationId: string;
  status: RunStatus;
}

export interface Approval {
  id: string;
  runId: string;
  status: "pending" | "approved" | "rejected" | "expired" | "cancelled";
  action: string;
  summary: string;
  amountMinor: number | null;
  currency: string | null;
  recipients: string[];
  payload: Record<string, unknown>;
  approvedPayload: Record<string, unknown> | null;
  note: string | null;
  expiresAt: string | null;
  createdAt: string;
}

export interface EventSummary {
  id: string;
  title: string;
  kind: string;
  status: string;
  city: string | null;
  timeZone: string;
  startsAt: string | null;
  endsAt: string | null;
  headcount: number;
  budgetMinor: number | null;
  currency: string;
  createdAt: string;
}

export interface Venue {
  name: string;
  address: string;
  city: string;
  capacity: number;
  kind: string;
}

export interface VenueBooking {
  id: string;
  status: string;
  startsAt: string;
  endsAt: string;
  priceMinor: number;
  currency: string;
  venue: Venue;
}

export interface VendorQuote {
  id: string;
  status: string;
  amountMinor: number | null;
  currency: string;
  description: string;
  vendor: { name: string; category: string };
}

export type RsvpStatus = "not_invited" | "invited" | "accepted" | "declined" | "tentative";

export interface Guest {
  id: string;
  name: string;
  phone: string | null;
  email: string | null;
  rsvpStatus: RsvpStatus;
  plusOnes: number;
  dietary: string[];
}

export interface Task {
  id: string;
  title: string;
  notes: string | null;
  status: "todo" | "in_progress" | "done" | "cancelled";
  dueAt: string | null;
  assignee: string | null;
  position: number;
}

export interface BudgetLine {
  id: string;
  category: string;
  description: string;
  plannedMinor: number;
  committedMinor: number;
  currency: string;
}

export interface EventDetails extends EventSummary {
  venueBookings: VenueBooking[];
  vendorQuotes: VendorQuote[];
  guests: Guest[];
  tasks: Task[];
  budgetLines: BudgetLine[];
}

export type OutboxKind = "sms" | "slack" | "payment" | "calendar" | "doc";

export interface SandboxObject {
  id: string;
  service: "calendar" | "gdrive" | "slack" | "stripe" | "twilio";
  kind: string;
  externalId: string;
  parentExternalId: string | null;
  status: string;
  data: Record<string, unknown>;
  createdAt: string;
}

export interface ListOf<T> {
  data: T[];
}
