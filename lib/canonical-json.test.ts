import { describe, expect, it } from "vitest";
import { canonicalHash, canonicalJson } from "./canonical-json.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth and drops undefined properties", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[2,{"y":2,"z":1}]},"b":1}');
    expect(canonicalHash({ x: 1, y: [1, 2] })).toBe(canonicalHash({ y: [1, 2], x: 1 }));
    expect(canonicalHash({ x: 1 })).not.toBe(canonicalHash({ x: 2 }));
  });

  it("refuses values JSON cannot represent", () => {
    expect(() => canonicalJson(undefined)).toThrow(/not a JSON value/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/not a JSON value/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => canonicalJson(loop)).toThrow(/not a JSON value/);
  });
});
