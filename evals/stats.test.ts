import { describe, expect, it } from "vitest";
import { mean, passAtK, passHatK } from "./stats.js";

describe("pass@k and pass^k", () => {
  it("are the share of passes at k = 1", () => {
    expect(passAtK(4, 3, 1)).toBeCloseTo(0.75);
    expect(passHatK(4, 3, 1)).toBeCloseTo(0.75);
  });

  it("pass@k: at least one of k passes; pass^k: all k pass", () => {
    // 5 trials, 2 passed, k = 2: 1 - C(3,2)/C(5,2) = 1 - 3/10; C(2,2)/C(5,2) = 1/10.
    expect(passAtK(5, 2, 2)).toBeCloseTo(0.7);
    expect(passHatK(5, 2, 2)).toBeCloseTo(0.1);
    // With k = n: any pass makes pass@k 1, any failure makes pass^k 0.
    expect(passAtK(3, 1, 3)).toBe(1);
    expect(passHatK(3, 2, 3)).toBe(0);
    expect(passHatK(3, 3, 3)).toBe(1);
    expect(passAtK(3, 0, 3)).toBe(0);
  });

  it("refuses counts that make no sense", () => {
    expect(() => passAtK(2, 3, 1)).toThrow(RangeError);
    expect(() => passHatK(2, 1, 3)).toThrow(RangeError);
    expect(mean([])).toBe(0);
    expect(mean([1, 0])).toBe(0.5);
  });
});
