import { formatMinor } from "../../lib/money.js";
import { outsideAddresses, policyRow, stringArg, stringListArg, type ApprovalCategory, type PolicyContext, type ToolArgs } from "./policy-table.js";

export interface ToolAnnotationHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface NeedsApprovalInput {
  /** Namespaced `server__tool`. */
  tool: string;
  /** As the MCP server announced them; missing means unknown, which never counts as read-only. */
  annotations: ToolAnnotationHints | undefined;
  args: ToolArgs;
  /** The run has read text from outside the team (RunTaint). */
  tainted: boolean;
  context: PolicyContext;
}

export interface PolicyDecision {
  required: boolean;
  /** Plain words a person reads before deciding; empty when no approval is needed. */
  reasons: string[];
  categories: ApprovalCategory[];
  /** One sentence: what will happen, with amount and recipients when there are any. */
  summary: string;
  /** The money at stake, for the approval row and the Slack request. */
  amount: { amountMinor: number; currency: string } | null;
  /** Who is paid or contacted. */
  recipients: string[];
}

export const TAINT_REASON = "the run has read text from outside the team";
const UNKNOWN_TOOL_REASON = "this tool is not in the approval policy, so a person checks every call to it";

/** A side effect: anything not in the table and not announced read-only, and every table row. */
export function isSideEffectTool(tool: string, annotations: ToolAnnotationHints | undefined): boolean {
  return policyRow(tool) !== undefined || annotations?.readOnlyHint !== true;
}

export function needsApproval({ tool, annotations, args, tainted, context }: NeedsApprovalInput): PolicyDecision {
  const described = describeCall(tool, args, context);
  const reasons: string[] = [];
  const categories: ApprovalCategory[] = [];
  const row = policyRow(tool);
  if (row === undefined) {
    if (annotations?.readOnlyHint !== true) reasons.push(UNKNOWN_TOOL_REASON);
    if (annotations?.readOnlyHint !== true && annotations?.destructiveHint === true) categories.push("destructive");
  } else if (row.rule === "always") {
    reasons.push(row.reason(args));
    categories.push(row.category);
  } else if (row.rule === "conditional") {
    const reason = row.check(args, context);
    if (reason !== null) {
      reasons.push(reason);
      categories.push(row.category);
    }
  }
  if (tainted && isSideEffectTool(tool, annotations)) reasons.push(TAINT_REASON);
  return { required: reasons.length > 0, reasons, categories, ...described };
}

interface Described {
  summary: string;
  amount: PolicyDecision["amount"];
  recipients: string[];
}

function integerArg(args: ToolArgs, key: string): number | undefined {
  const value = args[key];
  return typeof value === "number" && Number.isSafeInteger(value) ? value : undefined;
}

/** Formatting must never throw on arguments the tool itself will still validate. */
function money(amountMinor: number | undefined, currency: string | undefined): PolicyDecision["amount"] {
  if (amountMinor === undefined || currency === undefined || !/^[A-Z]{3}$/.test(currency)) return null;
  return { amountMinor, currency };
}

function showMoney(amount: PolicyDecision["amount"]): string {
  if (!amount) return "an unstated amount";
  try {
    return `${formatMinor(amount.amountMinor, amount.currency)} ${amount.currency}`;
  } catch {
    return `${amount.amountMinor} minor units of ${amount.currency}`;
  }
}

function quoted(text: string | undefined, max = 80): string {
  if (text === undefined) return "";
  const flat = text.replace(/\s+/g, " ").trim();
  return `"${flat.length > max ? `${flat.slice(0, max - 1)}…` : flat}"`;
}

function plain(summary: string, recipients: string[] = [], amount: PolicyDecision["amount"] = null): Described {
  return { summary, amount, recipients };
}

function describeCall(tool: string, args: ToolArgs, context: PolicyContext): Described {
  switch (tool) {
    case "stripe__pay_vendor_deposit": {
      const amount = money(integerArg(args, "amountMinor"), stringArg(args, "currency"));
      const vendor = stringArg(args, "vendorName") ?? "a vendor";
      return plain(`Pay ${vendor} a deposit of ${showMoney(amount)}${args.description ? ` for ${quoted(stringArg(args, "description"))}` : ""}.`, [vendor], amount);
    }
    case "stripe__refund_payment": {
      const amount = money(integerArg(args, "amountMinor"), stringArg(args, "currency"));
      const what = amount ? `${showMoney(amount)} of` : "all of";
      return plain(`Refund ${what} payment ${stringArg(args, "paymentId") ?? "(unnamed)"}.`, [], amount);
    }
    case "stripe__create_invoice": {
      const currency = stringArg(args, "currency");
      const lines = Array.isArray(args.lineItems) ? args.lineItems : [];
      let total = 0;
      for (const line of lines) {
        if (typeof line !== "object" || line === null) continue;
        const item = line as Record<string, unknown>;
        const unit = typeof item.unitAmountMinor === "number" ? item.unitAmountMinor : 0;
        const quantity = typeof item.quantity === "number" ? item.quantity : 1;
        total += unit * quantity;
      }
      const amount = money(Number.isSafeInteger(total) ? total : undefined, currency);
      const customer = stringArg(args, "customerId") ?? "a customer";
      return plain(`Send customer ${customer} an invoice for ${showMoney(amount)} (${lines.length} line${lines.length === 1 ? "" : "s"}).`, [customer], amount);
    }
    case "stripe__create_payment_link": {
      const amount = money(integerArg(args, "unitAmountMinor"), stringArg(args, "currency"));
      const limit = integerArg(args, "quantityLimit");
      return plain(`Publish a payment link selling ${quoted(stringArg(args, "ticketName"))} at ${showMoney(amount)} each${limit ? `, up to ${limit} tickets` : ""}.`, [], amount);
    }
    case "twilio__send_sms": {
      const to = stringArg(args, "to") ?? "an unnamed number";
      return plain(`Text ${to}: ${quoted(stringArg(args, "body"))}.`, [to]);
    }
    case "twilio__send_invitations": {
      const recipients = (Array.isArray(args.recipients) ? args.recipients : []).flatMap((entry) => {
        if (typeof entry !== "object" || entry === null) return [];
        const guest = entry as Record<string, unknown>;
        const phone = typeof guest.phone === "string" ? guest.phone : "?";
        return [typeof guest.name === "string" ? `${guest.name} (${phone})` : phone];
      });
      return plain(`Text an invitation to ${recipients.length} guest${recipients.length === 1 ? "" : "s"}: ${quoted(stringArg(args, "template"))}.`, recipients);
    }
    case "gdrive__share_document": {
      const email = stringArg(args, "email") ?? "an unnamed address";
      return plain(`Share document ${stringArg(args, "documentId") ?? "(unnamed)"} with ${email} as ${stringArg(args, "role") ?? "reader"}.`, [email]);
    }
    case "calendar__create_calendar_event": {
      const attendees = stringListArg(args, "attendees");
      const outside = outsideAddresses(attendees, context);
      return plain(
        `Create calendar event ${quoted(stringArg(args, "summary"))} and invite ${attendees.length} attendee${attendees.length === 1 ? "" : "s"}${outside.length ? `, ${outside.length} outside the team` : ""}.`,
        attendees,
      );
    }
    case "calendar__update_calendar_event": {
      const added = stringListArg(args, "addAttendees");
      return plain(`Change calendar event ${stringArg(args, "eventId") ?? "(unnamed)"}${added.length ? ` and invite ${added.join(", ")}` : ""}.`, added);
    }
    case "calendar__cancel_calendar_event":
      return plain(`Cancel calendar event ${stringArg(args, "eventId") ?? "(unnamed)"}${args.notifyAttendees === false ? "" : " and email every guest"}.`);
    case "postgres__release_venue_booking":
      return plain(`Cancel venue booking ${stringArg(args, "bookingId") ?? "(unnamed)"}.`);
    case "postgres__decide_vendor_quote":
      return plain(`${stringArg(args, "decision") === "decline" ? "Decline" : "Accept"} vendor quote ${stringArg(args, "quoteId") ?? "(unnamed)"}.`);
    case "slack__post_message":
    case "slack__reply_in_thread":
      return plain(`Post in Slack ${stringArg(args, "channel") ?? "(default channel)"}: ${quoted(stringArg(args, "text"))}.`);
    default:
      return plain(`Call ${tool} with ${Object.keys(args).filter((key) => key !== "idempotency_key").sort().join(", ") || "no arguments"}.`);
  }
}

/** Results of these tools are outside text by nature; they taint even if a backend forgot the fence. */
const ALWAYS_UNTRUSTED_OUTPUT = new Set(["gdrive__read_document", "twilio__list_inbound_messages"]);

/** The fence's opening marker (mcp-servers/host/untrusted.ts), for results that reach us only as text. */
const FENCE_OPEN = "<<<untrusted";

/** The `source` of every fenced value in a result (`sms_reply`, `vendor_note`, …), depth-first. */
export function untrustedSources(value: unknown, depth = 0): string[] {
  // Tool output is JSON from our own servers; the depth cap only stops a pathological cycle.
  if (depth > 64 || value === null || typeof value !== "object") {
    return typeof value === "string" && value.includes(FENCE_OPEN) ? ["fenced_text"] : [];
  }
  if (Array.isArray(value)) return value.flatMap((item) => untrustedSources(item, depth + 1));
  const record = value as Record<string, unknown>;
  if (record.untrusted === true) return [typeof record.source === "string" ? record.source : "unknown"];
  return Object.values(record).flatMap((item) => untrustedSources(item, depth + 1));
}

/** Whether a tool result carries text from outside the team anywhere: structuredContent, content or the bare object. */
export function isUntrustedResult(toolName: string, result: unknown): boolean {
  return ALWAYS_UNTRUSTED_OUTPUT.has(toolName) || untrustedSources(result).length > 0;
}

/**
 * Taint is one-way for the life of a run: once outside text is in the model's context it can steer
 * every later call, so no later call is trusted. Rebuild it on resume from the persisted steps.
 */
export class RunTaint {
  private readonly seen = new Set<string>();

  static fromResults(results: Iterable<{ tool: string; result: unknown }>): RunTaint {
    const taint = new RunTaint();
    for (const { tool, result } of results) taint.observe(tool, result);
    return taint;
  }

  /** Record a tool result; returns whether the run is tainted afterwards. */
  observe(tool: string, result: unknown): boolean {
    const sources = untrustedSources(result);
    for (const source of sources) this.seen.add(source);
    if (sources.length === 0 && ALWAYS_UNTRUSTED_OUTPUT.has(tool)) this.seen.add(tool);
    return this.tainted;
  }

  get tainted(): boolean {
    return this.seen.size > 0;
  }

  /** What tainted the run, for logs and the approval request. */
  get sources(): string[] {
    return [...this.seen].sort();
  }
}
