import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { withToolsTable } from "./tools-table.js";

describe("README tools table", () => {
  it("lists every tool of every server with its current annotations (run `npm run docs:tools` to refresh)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toBe(withToolsTable(readme));
  });
});
