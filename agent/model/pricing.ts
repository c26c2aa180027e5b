/**
 * Per-model token prices, for the run's cost accounting and cost limit. Prices are USD per million
 * tokens; cache writes (5-minute TTL) cost 1.25× input and cache reads 0.1× input.
 */
import type { ModelUsage } from "./types.js";

export interface ModelPrice {
  /** USD per million tokens. */
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

function price(input: number, output: number, overrides: Partial<ModelPrice> = {}): ModelPrice {
  return { input, output, cacheWrite: input * 1.25, cacheRead: input * 0.1, ...overrides };
}

/**
 * Keys are model id prefixes: ids carry date suffixes (`claude-sonnet-4-5-20250929`) or aliases.
 * Input/output rates are from Anthropic's model pages; cache rates follow the standard multipliers
 * except where a model page lists its own. Tiered models (Haiku 5.5) are left to the fallback.
 */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = Object.freeze({
  "claude-fable-5-1": price(10, 50),
  "claude-fable-5": price(10, 50),
  // Opus 5.5 cache reads are 0.05× input, per its model page.
  "claude-opus-5-5": price(4, 20, { cacheRead: 0.2 }),
  "claude-opus-5": price(5, 25),
  "claude-sonnet-5-5": price(2, 10),
  "claude-sonnet-5": price(2, 10),
  "claude-opus-4-6": price(5, 25),
  "claude-sonnet-4-6": price(3, 15),
  "claude-opus-4-5": price(5, 25),
  "claude-opus-4-1": price(15, 75),
  "claude-opus-4": price(15, 75),
  "claude-sonnet-4-5": price(3, 15),
  "claude-sonnet-4": price(3, 15),
  "claude-3-7-sonnet": price(3, 15),
  "claude-haiku-4-5": price(1, 5),
  "claude-3-5-haiku": price(0.8, 4),
  "claude-3-haiku": price(0.25, 1.25),
});

export interface PriceLookup {
  price: ModelPrice;
  /** The table entry used. */
  pricedAs: string;
  known: boolean;
  /** Set for an unknown model: why its cost may be overstated. */
  note?: string;
}

function mostExpensive(): [string, ModelPrice] {
  const entries = Object.entries(MODEL_PRICES);
  return entries.reduce((best, entry) => (entry[1].output > best[1].output ? entry : best), entries[0]!);
}

export function priceForModel(model: string): PriceLookup {
  // Longest prefix wins, so `claude-sonnet-4-5-…` is not priced as `claude-sonnet-4`.
  const match = Object.keys(MODEL_PRICES)
    .filter((prefix) => model === prefix || model.startsWith(`${prefix}-`))
    .sort((a, b) => b.length - a.length)[0];
  if (match) return { price: MODEL_PRICES[match]!, pricedAs: match, known: true };
  // Overstating cost makes the run's cost limit trip early; understating would let it overspend.
  const [name, fallback] = mostExpensive();
  return {
    price: fallback,
    pricedAs: name,
    known: false,
    note: `No price is known for model "${model}", so it is priced as ${name}, the most expensive known model; reported cost may be higher than actual.`,
  };
}

/**
 * Cost of a turn in integer USD micro-dollars, rounded up. USD per million tokens equals
 * micro-dollars per token; prices are scaled to integer nano-dollars per token so the sum is exact
 * (0.1× of $0.80 is not representable in binary floating point).
 */
export function costMicros(model: string, usage: ModelUsage): number {
  const { price: p } = priceForModel(model);
  const nano = (usdPerMillion: number): number => Math.round(usdPerMillion * 1000);
  const totalNano =
    usage.inputTokens * nano(p.input) + usage.outputTokens * nano(p.output) + usage.cacheWriteTokens * nano(p.cacheWrite) + usage.cacheReadTokens * nano(p.cacheRead);
  return Math.ceil(totalNano / 1000);
}
