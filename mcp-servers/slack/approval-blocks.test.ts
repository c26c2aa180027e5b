import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { approvalBlocks, approvalButtonValue, approvalFallbackText, escapeMrkdwn, parseApprovalButtonValue } from "./approval-blocks.js";

describe("approval blocks", () => {
  it("round-trips a button value and refuses anything else with a validation error", () => {
    expect(parseApprovalButtonValue(approvalButtonValue("reject", "payload.mac"))).toEqual({ decision: "reject", token: "payload.mac" });
    expect(() => parseApprovalButtonValue("approve")).toThrow(/^\(root\): /);
    expect(() => parseApprovalButtonValue(JSON.stringify({ decision: "maybe", token: "t" }))).toThrow(/^decision: /);
    expect(() => parseApprovalButtonValue(JSON.stringify({ decision: "approve", token: "t", extra: 1 }))).toThrow(/extra/);
  });

  it("escapes mrkdwn so a summary cannot mention @channel or hide a link, and stays within Slack's limits", () => {
    expect(escapeMrkdwn("<!channel> & <https://evil.example|bank>")).toBe("&lt;!channel&gt; &amp; &lt;https://evil.example|bank&gt;");
    const summary = "<".repeat(1000);
    const blocks = approvalBlocks({ approvalId: randomUUID(), summary, token: "t", expiresAt: new Date("2027-01-01T00:00:00Z") });
    const section = blocks[1] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(3000);
    expect(section.text.text).toMatch(/^(&lt;)+…$/);
    expect(approvalFallbackText({ summary, amountMinor: 1, currency: "JPY" }).length).toBeLessThanOrEqual(3000);
  });
});
