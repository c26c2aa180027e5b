/**
 * The optional rubric: Claude reads what happened in a trial (the conversation, the calls made,
 * the answer, the plan left behind) and says which of the scenario's criteria were met. It runs
 * only when an Anthropic key is configured, and its score is reported apart from the deterministic
 * graders: a judgement never turns a failing trial into a passing one, or back.
 */
import { z } from "zod";
import { costMicros } from "../../agent/model/pricing.js";
import type { ModelClient } from "../../agent/model/types.js";
import type { Scenario } from "../scenario.js";
import { finalAnswer, plannedEvent, toolCalls, type TrialRecord } from "../transcript.js";

export type RubricResult =
  | { model: string; score: number; criteria: { criterion: string; met: boolean; reason: string }[]; costUsd: number }
  | { model: string; error: string };

const SYSTEM =
  "You grade the work of an AI event-planning agent against a list of criteria. Judge only from the record you are given. " +
  'Answer with one JSON object and nothing else: {"criteria":[{"criterion":"<as given>","met":true|false,"reason":"<one sentence>"}]}, one entry per criterion, in the order given.';

const verdict = z.object({ criteria: z.array(z.object({ criterion: z.string(), met: z.boolean(), reason: z.string() })) });

/** The record the judge reads: short, and only what the planner's work consists of. */
export function rubricPrompt(scenario: Scenario, trial: TrialRecord): string {
  const event = plannedEvent(trial);
  const calls = toolCalls(trial).map((call) => `- ${call.payload.tool} ${JSON.stringify(call.payload.args).slice(0, 300)}`);
  return [
    `Scenario: ${scenario.title}`,
    "",
    "What happened, in order:",
    ...trial.script.map((entry) => `- [${entry.kind}] ${entry.detail.slice(0, 1000)}`),
    "",
    "Tool calls the agent made:",
    ...(calls.length > 0 ? calls.slice(0, 80) : ["- none"]),
    "",
    "The event it left:",
    event ? JSON.stringify({ ...event, id: undefined }).slice(0, 4000) : "none",
    "",
    "Its final answer:",
    finalAnswer(trial).slice(0, 8000),
    "",
    "Criteria:",
    ...scenario.rubric.map((criterion, index) => `${index + 1}. ${criterion}`),
  ].join("\n");
}

export class RubricJudge {
  constructor(private readonly client: ModelClient) {}

  async judge(scenario: Scenario, trial: TrialRecord): Promise<RubricResult | undefined> {
    if (scenario.rubric.length === 0) return undefined;
    try {
      const turn = await this.client.turn({ system: SYSTEM, tools: [], messages: [{ role: "user", content: rubricPrompt(scenario, trial) }], maxTokens: 2048 });
      const text = turn.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
      const json = /\{[\s\S]*\}/.exec(text)?.[0];
      const parsed = json === undefined ? undefined : verdict.safeParse(JSON.parse(json));
      if (!parsed?.success) return { model: turn.model, error: `the judge did not answer in the agreed JSON: ${text.slice(0, 200)}` };
      const criteria = scenario.rubric.map((criterion, index) => {
        const found = parsed.data.criteria[index];
        return { criterion, met: found?.met === true, reason: found?.reason ?? "not judged" };
      });
      return { model: turn.model, score: criteria.filter((item) => item.met).length / criteria.length, criteria, costUsd: costMicros(turn.model, turn.usage) / 1_000_000 };
    } catch (error) {
      return { model: this.client.model, error: error instanceof Error ? error.message : String(error) };
    }
  }
}
