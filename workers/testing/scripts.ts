/**
 * Model scripts shared by the worker fault tests: each run is told apart by its request text, so
 * several runs can call the fake model concurrently in any order.
 */
import type { RecordedRequest, ScriptedTurn } from "../../agent/model/testing/fake-anthropic.js";

const usage = { input_tokens: 200, output_tokens: 30 };

/** Which turn of its run a request asks for: the number of answers the model already gave. */
export function turnOf(request: RecordedRequest): number {
  return request.body.messages.filter((message) => message.role === "assistant").length;
}

/** The run a request belongs to, by a tag in the planning request's text (`[run:<tag>]`). */
export function runTagOf(request: RecordedRequest): string | undefined {
  return /\[run:([a-z0-9-]+)\]/.exec(JSON.stringify(request.body.messages[0]?.content))?.[1];
}

/** Post to Slack (`text`), then answer. `hold` keeps the first turn in flight until it settles. */
export function postThenAnswer(turn: number, text: string, options: { hold?: Promise<void> } = {}): ScriptedTurn | undefined {
  if (turn === 0) {
    return { content: [{ type: "tool_use", id: "toolu_post", name: "slack__post_message", input: { text } }], stop_reason: "tool_use", usage, ...(options.hold ? { hold: options.hold } : {}) };
  }
  if (turn === 1) return { content: [{ type: "text", text: `Done: ${text}` }], stop_reason: "end_turn", usage };
  return undefined;
}

/** Create the event and post (turn 0), post again (turn 1, optionally held), then answer. */
export function eventThenTwoPosts(turn: number, options: { hold?: Promise<void> } = {}): ScriptedTurn | undefined {
  const use = (id: string, name: string, input: Record<string, unknown>) => ({ type: "tool_use" as const, id, name, input });
  switch (turn) {
    case 0:
      return {
        content: [
          use("toolu_event", "postgres__create_event", { title: "Lisbon offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR" }),
          use("toolu_post1", "slack__post_message", { text: "Started planning the Lisbon offsite." }),
        ],
        stop_reason: "tool_use",
        usage,
      };
    case 1:
      return { content: [use("toolu_post2", "slack__post_message", { text: "Venues shortlisted." })], stop_reason: "tool_use", usage, ...(options.hold ? { hold: options.hold } : {}) };
    case 2:
      return { content: [{ type: "text", text: "The offsite is planned." }], stop_reason: "end_turn", usage };
    default:
      return undefined;
  }
}
