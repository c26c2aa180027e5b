import { describe, expect, it } from "vitest";
import { resolveApprovalSecret, signApprovalToken, verifyApprovalToken } from "./approval-tokens.js";

const secret = "a-test-secret-that-is-long-enough-123";
const claims = { approvalId: "01a20e33-eedb-77c0-acbe-93a1c5e339df", workspaceId: "01a20e33-eedb-77c0-acbe-971c323f8b1e" };

describe("approval tokens", () => {
  it("round-trips the approval and workspace it was signed for", () => {
    const token = signApprovalToken(claims, secret);
    expect(verifyApprovalToken(token, secret)).toMatchObject(claims);
  });

  it("refuses a token signed with another secret, edited, truncated or expired", () => {
    const token = signApprovalToken(claims, secret);
    expect(() => verifyApprovalToken(token, "another-secret-that-is-long-enough-456")).toThrow(/invalid or has expired/);
    const [payload, mac] = token.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...claims, workspaceId: "01a20e33-eedb-77c0-acbe-99968d95e7c3", expiresAt: 4102444800 })).toString("base64url");
    expect(() => verifyApprovalToken(`${forged}.${mac}`, secret)).toThrow(/invalid/);
    expect(() => verifyApprovalToken(payload, secret)).toThrow(/invalid/);
    expect(() => verifyApprovalToken(`${token}.extra`, secret)).toThrow(/invalid/);
    const old = signApprovalToken(claims, secret, { ttlSeconds: 60, now: new Date("2026-01-01T00:00:00Z") });
    expect(() => verifyApprovalToken(old, secret, new Date("2026-01-01T00:01:01Z"))).toThrow(/expired/);
    expect(verifyApprovalToken(old, secret, new Date("2026-01-01T00:00:59Z"))).toMatchObject(claims);
  });

  it("uses the configured secret, or one stable random secret per process", () => {
    expect(resolveApprovalSecret(secret)).toBe(secret);
    expect(resolveApprovalSecret(undefined)).toBe(resolveApprovalSecret(undefined));
    expect(resolveApprovalSecret(undefined).length).toBeGreaterThanOrEqual(32);
  });
});
