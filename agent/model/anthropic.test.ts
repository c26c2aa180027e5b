import { afterEach, describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors.js";
import { AnthropicModelClient } from "./anthropic.js";
import { costMicros } from "./pricing.js";
import { startFakeAnthropic, type FakeAnthropic, type ScriptedTurn } from "./testing/fake-anthropic.js";
import { addUsage, assistantMessage, ZERO_USAGE, type ModelRequest, type ModelTool } from "./types.js";

// Not a model the SDK warns is deprecated, so test output stays quiet.
const MODEL = "claude-haiku-4-5";
const API_KEY = "sk-ant-test-key";

const tools: ModelTool[] = [
  {
    name: "calendar__find_free_slots",
    description: "Find free slots in a calendar.",
    input_schema: { type: "object", properties: { day: { type: "string" } }, required: ["day"] },
  },
  {
    name: "postgres__list_venues",
    description: "List venues in a city.",
    input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
];

let fake: FakeAnthropic | undefined;

afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function setup(script: ScriptedTurn[], maxRetries?: number): Promise<{ fake: FakeAnthropic; client: AnthropicModelClient }> {
  fake = await startFakeAnthropic(script);
  const client = new AnthropicModelClient({ apiKey: API_KEY, baseUrl: fake.url, model: MODEL }, maxRetries === undefined ? {} : { maxRetries });
  return { fake, client };
}

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    system: "You plan events.",
    tools,
    messages: [{ role: "user", content: "Plan a team dinner in Lisbon next Friday." }],
    maxTokens: 1024,
    ...overrides,
  };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("AnthropicModelClient", () => {
  it("streams a text answer, reporting each delta and the assembled text", async () => {
    const { fake, client } = await setup([{ content: [{ type: "text", text: "Dinner is booked for Friday at 19:30." }], stop_reason: "end_turn", usage: { input_tokens: 40, output_tokens: 12 } }]);
    const deltas: string[] = [];

    const turn = await client.turn(request({ onText: (delta) => deltas.push(delta) }));

    expect(turn.content).toEqual([{ type: "text", text: "Dinner is booked for Friday at 19:30." }]);
    expect(turn.stopReason).toBe("end_turn");
    expect(turn.model).toBe(MODEL);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("Dinner is booked for Friday at 19:30.");
    const [recorded] = fake.requests;
    expect(recorded?.body.stream).toBe(true);
    expect(recorded?.body.model).toBe(MODEL);
    expect(recorded?.body.max_tokens).toBe(1024);
    // This SDK version sends the API key as a bearer token.
    expect(recorded?.headers.authorization).toBe(`Bearer ${API_KEY}`);
    fake.assertAllUsed();
  });

  it("assembles a tool call's input from input_json_delta pieces", async () => {
    const { fake, client } = await setup([
      {
        content: [
          { type: "text", text: "Let me check the calendar." },
          { type: "tool_use", id: "toolu_01", name: "calendar__find_free_slots", input: { day: "2025-06-13", durationMinutes: 120, people: ["ana", "rui"] } },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 50, output_tokens: 30 },
      },
    ]);

    const turn = await client.turn(request());

    expect(turn.stopReason).toBe("tool_use");
    expect(turn.content).toEqual([
      { type: "text", text: "Let me check the calendar." },
      { type: "tool_use", id: "toolu_01", name: "calendar__find_free_slots", input: { day: "2025-06-13", durationMinutes: 120, people: ["ana", "rui"] } },
    ]);
    fake.assertAllUsed();
  });

  it("returns two parallel tool calls from one turn, in order", async () => {
    const { fake, client } = await setup([
      {
        content: [
          { type: "tool_use", id: "toolu_a", name: "calendar__find_free_slots", input: { day: "2025-06-13" } },
          { type: "tool_use", id: "toolu_b", name: "postgres__list_venues", input: { city: "Lisbon" } },
        ],
        stop_reason: "tool_use",
        usage: { input_tokens: 50, output_tokens: 40 },
      },
    ]);

    const turn = await client.turn(request());

    expect(turn.content).toEqual([
      { type: "tool_use", id: "toolu_a", name: "calendar__find_free_slots", input: { day: "2025-06-13" } },
      { type: "tool_use", id: "toolu_b", name: "postgres__list_venues", input: { city: "Lisbon" } },
    ]);
    fake.assertAllUsed();
  });

  it("flags tool arguments that are not a JSON object instead of passing them on", async () => {
    const { fake, client } = await setup([
      {
        content: [{ type: "tool_use", id: "toolu_bad", name: "postgres__list_venues", input: {}, rawInputJson: '["Lisbon"]' }],
        stop_reason: "tool_use",
        usage: { input_tokens: 50, output_tokens: 10 },
      },
    ]);

    const turn = await client.turn(request());

    expect(turn.content).toEqual([{ type: "tool_use", id: "toolu_bad", name: "postgres__list_venues", input: {}, inputError: "the tool arguments were not a JSON object" }]);
    // The block can be replayed to the API without the field only this service understands.
    expect(assistantMessage(turn).content).toEqual([{ type: "tool_use", id: "toolu_bad", name: "postgres__list_venues", input: {} }]);
    fake.assertAllUsed();
  });

  it("reports tool arguments that are not valid JSON as upstream_failed", async () => {
    const { fake, client } = await setup([
      { content: [{ type: "tool_use", id: "toolu_bad", name: "postgres__list_venues", input: {}, rawInputJson: '{"city": Lisbon}' }], stop_reason: "tool_use", usage: { input_tokens: 50, output_tokens: 10 } },
    ]);

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("upstream_failed");
    expect(error.message).toContain("tool arguments that are not valid JSON");
    expect(error.details).toMatchObject({ malformedToolInput: true });
    fake.assertAllUsed();
  });

  it("sends the tool loop back: assistant tool calls, then results including an is_error one", async () => {
    const first: ScriptedTurn = {
      content: [
        { type: "tool_use", id: "toolu_a", name: "calendar__find_free_slots", input: { day: "2025-06-13" } },
        { type: "tool_use", id: "toolu_b", name: "postgres__list_venues", input: { city: "Lisbon" } },
      ],
      stop_reason: "tool_use",
      usage: { input_tokens: 50, output_tokens: 40 },
    };
    const { fake, client } = await setup([first, { content: [{ type: "text", text: "Friday 19:30 works; the venue list failed." }], stop_reason: "end_turn", usage: { input_tokens: 120, output_tokens: 15 } }]);

    const turn1 = await client.turn(request());
    const messages = [
      ...request().messages,
      assistantMessage(turn1),
      {
        role: "user" as const,
        content: [
          { type: "tool_result" as const, tool_use_id: "toolu_a", content: [{ type: "text" as const, text: "19:30-22:00 free" }] },
          { type: "tool_result" as const, tool_use_id: "toolu_b", content: "not_found: no venues table", is_error: true },
        ],
      },
    ];
    const turn2 = await client.turn(request({ messages }));

    expect(turn2.stopReason).toBe("end_turn");
    const sent = fake.requests[1]?.body.messages;
    expect(sent?.[1]).toEqual({
      role: "assistant",
      content: [
        { type: "tool_use", id: "toolu_a", name: "calendar__find_free_slots", input: { day: "2025-06-13" } },
        { type: "tool_use", id: "toolu_b", name: "postgres__list_venues", input: { city: "Lisbon" } },
      ],
    });
    expect(sent?.[2]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_a", content: [{ type: "text", text: "19:30-22:00 free" }] },
        { type: "tool_result", tool_use_id: "toolu_b", content: "not_found: no venues table", is_error: true, cache_control: { type: "ephemeral" } },
      ],
    });
    fake.assertAllUsed();
  });

  it("puts cache breakpoints on the last tool, the system prompt and the last message block only", async () => {
    const { fake, client } = await setup([{ content: [{ type: "text", text: "ok" }], stop_reason: "end_turn", usage: { input_tokens: 5, output_tokens: 1 } }]);
    const input = request({
      messages: [
        { role: "user", content: "First question" },
        { role: "assistant", content: [{ type: "text", text: "First answer" }] },
        { role: "user", content: [{ type: "text", text: "Part one" }, { type: "text", text: "Part two" }] },
      ],
    });

    await client.turn(input);

    const body = fake.requests[0]!.body;
    expect(body.tools).toEqual([
      { name: "calendar__find_free_slots", description: "Find free slots in a calendar.", input_schema: tools[0]!.input_schema },
      { name: "postgres__list_venues", description: "List venues in a city.", input_schema: tools[1]!.input_schema, cache_control: { type: "ephemeral" } },
    ]);
    expect(body.system).toEqual([{ type: "text", text: "You plan events.", cache_control: { type: "ephemeral" } }]);
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "First question" }] },
      { role: "assistant", content: [{ type: "text", text: "First answer" }] },
      { role: "user", content: [{ type: "text", text: "Part one" }, { type: "text", text: "Part two", cache_control: { type: "ephemeral" } }] },
    ]);
    // The caller's conversation is not mutated by adding breakpoints.
    expect(input.messages[2]).toEqual({ role: "user", content: [{ type: "text", text: "Part one" }, { type: "text", text: "Part two" }] });
    fake.assertAllUsed();
  });

  it("maps usage including cache writes and reads, and prices it", async () => {
    const { fake, client } = await setup([
      { content: [{ type: "text", text: "one" }], stop_reason: "end_turn", usage: { input_tokens: 12, output_tokens: 100, cache_creation_input_tokens: 2_000, cache_read_input_tokens: 0 } },
      { content: [{ type: "text", text: "two" }], stop_reason: "end_turn", usage: { input_tokens: 30, output_tokens: 50, cache_creation_input_tokens: 150, cache_read_input_tokens: 2_000 } },
    ]);

    const first = await client.turn(request());
    const second = await client.turn(request());

    expect(first.usage).toEqual({ inputTokens: 12, outputTokens: 100, cacheWriteTokens: 2_000, cacheReadTokens: 0 });
    expect(second.usage).toEqual({ inputTokens: 30, outputTokens: 50, cacheWriteTokens: 150, cacheReadTokens: 2_000 });
    const total = addUsage(addUsage(ZERO_USAGE, first.usage), second.usage);
    expect(total).toEqual({ inputTokens: 42, outputTokens: 150, cacheWriteTokens: 2_150, cacheReadTokens: 2_000 });
    // Haiku 4.5 in micro-dollars per token: input 1, output 5, cache write 1.25, cache read 0.1.
    // 42·1 + 150·5 + 2150·1.25 + 2000·0.1 = 42 + 750 + 2687.5 + 200 = 3679.5 → 3680.
    expect(costMicros(first.model, total)).toBe(3_680);
    // Per turn, each rounded up: 12 + 500 + 2500 = 3012; 30 + 250 + 187.5 + 200 = 667.5 → 668.
    expect(costMicros(first.model, first.usage)).toBe(3_012);
    expect(costMicros(second.model, second.usage)).toBe(668);
    fake.assertAllUsed();
  });

  it("surfaces a max_tokens stop with the partial answer", async () => {
    const { fake, client } = await setup([{ content: [{ type: "text", text: "The three venues are: one, two and" }], stop_reason: "max_tokens", usage: { input_tokens: 40, output_tokens: 16 } }]);

    const turn = await client.turn(request({ maxTokens: 16 }));

    expect(turn.stopReason).toBe("max_tokens");
    expect(turn.content).toEqual([{ type: "text", text: "The three venues are: one, two and" }]);
    expect(fake.requests[0]?.body.max_tokens).toBe(16);
    fake.assertAllUsed();
  });

  it("lets the SDK retry a 429 and returns the answer that follows", async () => {
    const { fake, client } = await setup([{ error: { status: 429 }, retryAfterSeconds: 0 }, { content: [{ type: "text", text: "after the limit" }], stop_reason: "end_turn", usage: { input_tokens: 5, output_tokens: 3 } }]);

    const turn = await client.turn(request());

    expect(turn.content).toEqual([{ type: "text", text: "after the limit" }]);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]?.body).toEqual(fake.requests[0]?.body);
    fake.assertAllUsed();
  });

  it("lets the SDK retry a 529 overloaded and returns the answer that follows", async () => {
    const { fake, client } = await setup([{ error: { status: 529 } }, { content: [{ type: "text", text: "after overload" }], stop_reason: "end_turn", usage: { input_tokens: 5, output_tokens: 3 } }]);

    const turn = await client.turn(request());

    expect(turn.content).toEqual([{ type: "text", text: "after overload" }]);
    expect(fake.requests).toHaveLength(2);
    fake.assertAllUsed();
  });

  it("reports upstream_failed (overloaded) when 529 outlasts the retries", async () => {
    const { fake, client } = await setup([{ error: { status: 529 } }, { error: { status: 529 } }, { error: { status: 529 } }], 2);

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("upstream_failed");
    expect(error.message).toContain("overloaded");
    expect(error.details).toMatchObject({ status: 529, overloaded: true });
    expect(fake.requests).toHaveLength(3);
    fake.assertAllUsed();
  });

  it("reports rate_limited when 429 outlasts the retries", async () => {
    const { fake, client } = await setup([{ error: { status: 429 } }, { error: { status: 429 } }], 1);

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("rate_limited");
    expect(fake.requests).toHaveLength(2);
    fake.assertAllUsed();
  });

  it("maps a 400 to validation_failed without retrying, keeping the API's explanation", async () => {
    const { fake, client } = await setup([{ error: { status: 400, message: "messages.0.content: text content blocks must be non-empty" } }]);

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("validation_failed");
    expect(error.message).toBe("The Anthropic API rejected the request: messages.0.content: text content blocks must be non-empty");
    expect(fake.requests).toHaveLength(1);
    fake.assertAllUsed();
  });

  it("maps a 401 to unauthorized naming the variable to fix", async () => {
    const { fake, client } = await setup([{ error: { status: 401, message: "invalid x-api-key" } }]);

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("unauthorized");
    expect(error.message).toContain("ANTHROPIC_API_KEY");
    fake.assertAllUsed();
  });

  it("maps an unreachable API to upstream_failed with an unknown outcome", async () => {
    const closed = await startFakeAnthropic([]);
    const url = closed.url;
    await closed.close();
    const client = new AnthropicModelClient({ apiKey: API_KEY, baseUrl: url, model: MODEL }, { maxRetries: 0 });

    const error = await failure(client.turn(request()));

    expect(error.code).toBe("upstream_failed");
    expect(error.message).toContain("Could not reach the Anthropic API");
    expect(error.details).toMatchObject({ outcomeUnknown: true });
  });

  it("refuses to start without an API key", () => {
    expect(() => new AnthropicModelClient({ model: MODEL })).toThrow(/ANTHROPIC_API_KEY/);
  });
});

describe("fake Anthropic", () => {
  it("answers a non-streaming request with JSON and fails loudly beyond its script", async () => {
    const { fake } = await setup([{ content: [{ type: "text", text: "plain" }], stop_reason: "end_turn", usage: { input_tokens: 3, output_tokens: 1, cache_read_input_tokens: 2 } }]);
    const call = (): Promise<Response> =>
      fetch(`${fake.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
      });

    const first = await call();
    expect(first.headers.get("content-type")).toBe("application/json");
    expect(await first.json()).toMatchObject({
      type: "message",
      content: [{ type: "text", text: "plain" }],
      stop_reason: "end_turn",
      usage: { input_tokens: 3, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 2 },
    });

    const beyond = await call();
    expect(beyond.status).toBe(500);
    expect(() => fake.assertAllUsed()).toThrow(/beyond the script/);
  });

  it("reports scripted turns that were never requested", async () => {
    const { fake } = await setup([{ error: { status: 529 } }]);
    expect(() => fake.assertAllUsed()).toThrow(/1 scripted turn\(s\) were never requested/);
  });
});
