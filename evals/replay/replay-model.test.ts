import { describe, expect, it } from "vitest";
import { ZERO_USAGE, type ModelClient, type ModelRequest, type ModelTurn } from "../../agent/model/types.js";
import { IdMap, looksLikeId } from "./id-map.js";
import { Recorder, recordingSchema, ReplayModel } from "./recording.js";

const OLD_EVENT = "0195f0aa-1111-7000-8000-000000000001";
const NEW_EVENT = "0195f0bb-2222-7000-8000-000000000002";

describe("id map", () => {
  it("learns recorded → live ids from the same message and rewrites answers with them", () => {
    const ids = new IdMap();
    expect(ids.learn(`{"event":{"id":"${OLD_EVENT}","payment":"pi_abc123XYZ789","ts":"1790000000.000100","title":"Porto offsite"}}`, `{"event":{"id":"${NEW_EVENT}","payment":"pi_def456UVW012","ts":"1790000099.000200","title":"Porto offsite"}}`)).toBe(true);
    expect(ids.rewrite({ eventId: OLD_EVENT, nested: [`pay pi_abc123XYZ789 for ${OLD_EVENT}`], amount: 30000 })).toEqual({ eventId: NEW_EVENT, nested: [`pay pi_def456UVW012 for ${NEW_EVENT}`], amount: 30000 });
    expect(ids.rewriteText("reply in 1790000000.000100")).toBe("reply in 1790000099.000200");
    expect(ids.conflicts).toEqual([]);
  });

  it("never maps words, amounts or dates, and notices an id that maps two ways", () => {
    expect(["Porto", "3000000", "2027-03-02T09", "offsite-porto"].some(looksLikeId)).toBe(false);
    const ids = new IdMap();
    ids.learn(`a ${OLD_EVENT} 2026-11-24T10:00:00Z`, `a ${NEW_EVENT} 2026-11-24T11:30:00Z`);
    ids.learn(OLD_EVENT, "0195f0cc-3333-7000-8000-000000000003");
    expect(ids.size).toBe(1);
    expect(ids.conflicts).toEqual([OLD_EVENT]);
  });
});

/** A model that answers from a list, naming what it was asked. */
function scripted(turns: ModelTurn[]): ModelClient {
  let next = 0;
  return { model: "scripted", turn: (_request: ModelRequest) => Promise.resolve(turns[next++]!) };
}

const usage = { ...ZERO_USAGE, inputTokens: 10, outputTokens: 5 };
const request = (messages: ModelRequest["messages"]): ModelRequest => ({ system: "", tools: [], messages, maxTokens: 100 });

describe("record and replay", () => {
  it("replays a recorded trial call by call, acting on the replay's own ids", async () => {
    const recorder = new Recorder("anthropic", "claude-sonnet-4-6");
    const model = recorder.wrap(
      scripted([
        { content: [{ type: "tool_use", id: "toolu_1", name: "postgres__create_event", input: { title: "Offsite" } }], stopReason: "tool_use", usage, model: "claude-sonnet-4-6" },
        { content: [{ type: "tool_use", id: "toolu_2", name: "postgres__hold_venue", input: { eventId: OLD_EVENT } }], stopReason: "tool_use", usage, model: "claude-sonnet-4-6" },
      ]),
      "offsite",
      1,
    );
    const first = [{ role: "user" as const, content: "Plan an offsite" }];
    await model.turn(request(first));
    const result = (id: string) => [...first, { role: "assistant" as const, content: "…" }, { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "toolu_1", content: `{"event":{"id":"${id}"}}` }] }];
    await model.turn(request(result(OLD_EVENT)));
    const recording = recordingSchema.parse(JSON.parse(JSON.stringify(recorder.toJSON())));
    expect(recording.trials).toHaveLength(1);

    const replay = ReplayModel.forTrial(recording, "offsite", 1);
    expect(replay.model).toBe("claude-sonnet-4-6");
    expect((await replay.turn(request(first))).content[0]).toMatchObject({ name: "postgres__create_event" });
    const second = await replay.turn(request(result(NEW_EVENT)));
    expect(second).toMatchObject({ content: [{ type: "tool_use", name: "postgres__hold_venue", input: { eventId: NEW_EVENT } }], usage });
    await expect(replay.turn(request(first))).rejects.toThrow(/no answer for model call 3/);
  });

  it("fails loudly when the replay is asked something else than was recorded", async () => {
    const recorder = new Recorder("offline", "offline-rules-1");
    await recorder.wrap(scripted([{ content: [{ type: "text", text: "Which city?" }], stopReason: "end_turn", usage, model: "offline-rules-1" }]), "vague", 1).turn(request([{ role: "user", content: "Plan an offsite" }]));
    const replay = ReplayModel.forTrial(recorder.toJSON(), "vague", 1);
    await expect(replay.turn(request([{ role: "user", content: "Plan a wedding" }]))).rejects.toMatchObject({ code: "upstream_failed", message: expect.stringMatching(/diverged/) as unknown });
    await expect(ReplayModel.forTrial(recorder.toJSON(), "unknown", 1).turn(request([{ role: "user", content: "hi" }]))).rejects.toThrow(/recorded 0/);
  });
});
