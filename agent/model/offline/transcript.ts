/**
 * What the offline planner knows, read back from the conversation on every turn: the user's
 * requests and the tool calls made since the latest one, with their results. Nothing is kept in
 * memory between turns, so a run resumed in another process from the database plans the same way.
 */
import type { ContentBlock, ConversationMessage, ToolResultBlock } from "../types.js";

export type CallOutcome =
  | { ok: true; value: unknown }
  /** `declined`: the call needed a person's approval and was never made (rejected, or nobody decided in time). */
  | { ok: false; error: string; declined?: "rejected" | "expired"; note?: string };

export interface CallRecord {
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** Undefined only while a call waits for its result, which the loop never lets the model see. */
  outcome: CallOutcome | undefined;
}

export interface Transcript {
  /** Every user request, oldest first (tool results are not requests). */
  requests: string[];
  /** Calls made since the latest request: one planning pass. */
  calls: CallRecord[];
  /** Calls of the passes before, for what they left behind (an earlier draft event). */
  earlierCalls: CallRecord[];
  /**
   * The assistant's words before the latest request, oldest first. A follow-up is a new run, and a
   * run sees earlier runs only as the messages they left, not their tool calls.
   */
  earlierAnswers: string[];
  /** Assistant turns in the whole conversation, which numbers the next turn's tool_use ids. */
  assistantTurns: number;
}

/** The loop's wording for a call that waited for approval and was not made; no tool error starts this way. */
const REJECTED = /^A person rejected the call/;
const EXPIRED = /^Nobody approved the call/;
/** What the approver wrote when deciding, which the summary passes on. */
const NOTE = /Their note: ([\s\S]+)$/;

function blocks(message: ConversationMessage): ContentBlock[] {
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

function requestText(message: ConversationMessage): string | undefined {
  if (message.role !== "user") return undefined;
  const content = blocks(message);
  if (content.some((block) => block.type === "tool_result")) return undefined;
  const text = content.map((block) => (block.type === "text" ? block.text : "")).join("\n").trim();
  return text.length > 0 ? text : undefined;
}

function resultText(block: ToolResultBlock): string {
  return typeof block.content === "string" ? block.content : block.content.map((part) => part.text).join("\n");
}

function outcomeOf(block: ToolResultBlock): CallOutcome {
  const text = resultText(block);
  if (block.is_error === true) {
    const declined = REJECTED.test(text) ? "rejected" : EXPIRED.test(text) ? "expired" : undefined;
    if (!declined) return { ok: false, error: text };
    const note = NOTE.exec(text)?.[1]?.trim();
    return note ? { ok: false, error: text, declined, note } : { ok: false, error: text, declined };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // A tool that answered in prose still succeeded; the planner reads only structured results.
    return { ok: true, value: text };
  }
}

export function readTranscript(messages: readonly ConversationMessage[]): Transcript {
  const requests: string[] = [];
  let calls: CallRecord[] = [];
  const earlierCalls: CallRecord[] = [];
  let answers: string[] = [];
  const earlierAnswers: string[] = [];
  const byId = new Map<string, CallRecord>();
  let assistantTurns = 0;
  for (const message of messages) {
    const request = requestText(message);
    if (request !== undefined) {
      requests.push(request);
      earlierCalls.push(...calls);
      earlierAnswers.push(...answers);
      calls = [];
      answers = [];
      continue;
    }
    if (message.role === "assistant") assistantTurns++;
    for (const block of blocks(message)) {
      if (block.type === "text" && message.role === "assistant") {
        answers.push(block.text);
      } else if (block.type === "tool_use") {
        const record: CallRecord = { id: block.id, name: block.name, input: block.input, outcome: undefined };
        calls.push(record);
        byId.set(block.id, record);
      } else if (block.type === "tool_result") {
        const record = byId.get(block.tool_use_id);
        if (record) record.outcome = outcomeOf(block);
      }
    }
  }
  return { requests, calls, earlierCalls, earlierAnswers, assistantTurns };
}
