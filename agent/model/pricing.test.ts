import { describe, expect, it } from "vitest";
import { costMicros, MODEL_PRICES, priceForModel } from "./pricing.js";
import { ZERO_USAGE } from "./types.js";

describe("priceForModel", () => {
  it("matches dated ids and aliases by the longest known prefix", () => {
    expect(priceForModel("claude-sonnet-4-5-20250929")).toMatchObject({ pricedAs: "claude-sonnet-4-5", known: true });
    expect(priceForModel("claude-sonnet-4-20250514")).toMatchObject({ pricedAs: "claude-sonnet-4", known: true });
    expect(priceForModel("claude-opus-4-1")).toMatchObject({ pricedAs: "claude-opus-4-1", known: true });
    expect(priceForModel("claude-3-5-haiku-latest")).toMatchObject({ pricedAs: "claude-3-5-haiku", known: true });
    expect(priceForModel("claude-opus-5-5")).toMatchObject({ pricedAs: "claude-opus-5-5", price: { input: 4, output: 20, cacheWrite: 5, cacheRead: 0.2 } });
    expect(priceForModel("claude-opus-5")).toMatchObject({ pricedAs: "claude-opus-5" });
    expect(priceForModel("claude-haiku-4-5").price).toEqual({ input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 });
  });

  it("prices an unknown model as the most expensive known one and says so", () => {
    const lookup = priceForModel("claude-future-9");
    expect(lookup.known).toBe(false);
    expect(lookup.price).toEqual(MODEL_PRICES["claude-opus-4-1"]);
    expect(lookup.note).toContain('"claude-future-9"');
    expect(lookup.note).toContain("most expensive");
    // A prefix must end at a dash: "claude-sonnet-40" is not a Sonnet 4.
    expect(priceForModel("claude-sonnet-40").known).toBe(false);
  });
});

describe("costMicros", () => {
  it("is zero for no usage", () => {
    expect(costMicros("claude-sonnet-4-5", ZERO_USAGE)).toBe(0);
  });

  it("charges each token class at its rate, in exact integer micro-dollars", () => {
    // Sonnet: 1M input = $3, 1M output = $15, 1M cache write = $3.75, 1M cache read = $0.30.
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 1_000_000, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 })).toBe(3_000_000);
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 0, outputTokens: 1_000_000, cacheWriteTokens: 0, cacheReadTokens: 0 })).toBe(15_000_000);
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 1_000_000, cacheReadTokens: 0 })).toBe(3_750_000);
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 1_000_000 })).toBe(300_000);
    // Opus 4.1: 1000·15 + 200·75 + 400·18.75 + 10000·1.5 = 15000 + 15000 + 7500 + 15000.
    expect(costMicros("claude-opus-4-1", { inputTokens: 1_000, outputTokens: 200, cacheWriteTokens: 400, cacheReadTokens: 10_000 })).toBe(52_500);
  });

  it("avoids floating-point drift on fractional rates", () => {
    // Haiku 3.5 cache reads cost 0.08 micro-dollars a token; 0.1 × 0.8 is 0.08000000000000002 in floats.
    expect(costMicros("claude-3-5-haiku", { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 100 })).toBe(8);
  });

  it("rounds a fraction of a micro-dollar up", () => {
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 1 })).toBe(1);
    expect(costMicros("claude-sonnet-4-5", { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 2, cacheReadTokens: 0 })).toBe(8);
  });

  it("prices an unknown model conservatively", () => {
    const usage = { inputTokens: 100, outputTokens: 100, cacheWriteTokens: 0, cacheReadTokens: 0 };
    expect(costMicros("some-new-model", usage)).toBe(costMicros("claude-opus-4-1", usage));
  });
});
