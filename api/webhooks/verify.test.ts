import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AppError } from "../../lib/errors.js";
import { verifySlackSignature, verifyStripeSignature, verifyTwilioSignature } from "./verify.js";

/** Signatures are computed here from each provider's documented scheme, not with the code under test or the SDKs' helpers. */
const NOW = new Date("2026-11-24T12:00:00Z");
const nowSeconds = Math.floor(NOW.getTime() / 1000);

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("verifySlackSignature", () => {
  const secret = "8f742231b10e8888abcd99yyyzzz85a5";
  const body = "payload=%7B%22type%22%3A%22block_actions%22%7D";
  const sign = (timestamp: number, raw = body, key = secret) => `v0=${createHmac("sha256", key).update(`v0:${timestamp}:${raw}`).digest("hex")}`;

  it("accepts a genuine, fresh request (string or Buffer body)", () => {
    expect(() => verifySlackSignature({ signingSecret: secret, rawBody: body, timestamp: String(nowSeconds), signature: sign(nowSeconds), now: NOW })).not.toThrow();
    expect(() => verifySlackSignature({ signingSecret: secret, rawBody: Buffer.from(body), timestamp: String(nowSeconds - 299), signature: sign(nowSeconds - 299), now: NOW })).not.toThrow();
  });

  it("refuses a forged signature, a tampered body, the wrong secret and missing headers", () => {
    const ts = String(nowSeconds);
    const cases = [
      { signature: `v0=${"0".repeat(64)}` },
      { signature: sign(nowSeconds), rawBody: `${body}x` },
      { signature: sign(nowSeconds, body, "another-secret-another-secret-00") },
      { signature: sign(nowSeconds).replace("v0=", "v1=") },
      { signature: undefined },
    ];
    for (const c of cases) {
      const error = refusal(() => verifySlackSignature({ signingSecret: secret, rawBody: c.rawBody ?? body, timestamp: ts, signature: c.signature, now: NOW }));
      expect(error.code).toBe("unauthorized");
    }
    expect(refusal(() => verifySlackSignature({ signingSecret: secret, rawBody: body, timestamp: undefined, signature: sign(nowSeconds), now: NOW })).code).toBe("unauthorized");
  });

  it("refuses a correctly signed request older (or further ahead) than five minutes", () => {
    for (const ts of [nowSeconds - 301, nowSeconds + 301]) {
      const error = refusal(() => verifySlackSignature({ signingSecret: secret, rawBody: body, timestamp: String(ts), signature: sign(ts), now: NOW }));
      expect(error).toMatchObject({ code: "unauthorized", message: expect.stringContaining("5 minutes") as string });
    }
  });

  it("refuses a timestamp moved forward with the old signature", () => {
    const old = nowSeconds - 600;
    expect(refusal(() => verifySlackSignature({ signingSecret: secret, rawBody: body, timestamp: String(nowSeconds), signature: sign(old), now: NOW })).code).toBe("unauthorized");
  });
});

describe("verifyTwilioSignature", () => {
  const token = "12345678901234567890123456789012";
  const url = "https://planner.example.com/webhooks/twilio/sms";
  const params = { MessageSid: "SM1234", From: "+351912345678", To: "+351210000000", Body: "Yes +1 & see you" };
  const raw = new URLSearchParams(params).toString();
  // Twilio's scheme: URL, then each parameter name and value in name order, HMAC-SHA1, base64.
  const sign = (p: Record<string, string>, key = token, at = url) =>
    createHmac("sha1", key)
      .update(at + Object.keys(p).sort().map((k) => `${k}${p[k]}`).join(""))
      .digest("base64");

  it("accepts a genuine request and returns its parameters", () => {
    expect(verifyTwilioSignature({ authToken: token, signature: sign(params), url, rawBody: raw })).toEqual(params);
  });

  it("refuses a forged signature, tampered parameters, the wrong token, another URL and a missing header", () => {
    const tampered = new URLSearchParams({ ...params, Body: "No" }).toString();
    const cases = [
      { signature: "Zm9yZ2Vk", rawBody: raw, at: url },
      { signature: sign(params), rawBody: tampered, at: url },
      { signature: sign(params, "another-token-another-token-0000"), rawBody: raw, at: url },
      { signature: sign(params), rawBody: raw, at: "https://evil.example.com/webhooks/twilio/sms" },
      { signature: undefined, rawBody: raw, at: url },
    ];
    for (const c of cases) expect(refusal(() => verifyTwilioSignature({ authToken: token, signature: c.signature, url: c.at, rawBody: c.rawBody })).code).toBe("unauthorized");
  });
});

describe("verifyStripeSignature", () => {
  const secret = "whsec_test_secret_for_unit_tests";
  const event = { id: "evt_1", object: "event", type: "payment_intent.succeeded", data: { object: { id: "pi_1" } } };
  const raw = JSON.stringify(event);
  // Stripe's scheme: `t={ts},v1={hex HMAC-SHA256 of "{ts}.{body}"}`.
  const sign = (ts: number, body = raw, key = secret) => `t=${ts},v1=${createHmac("sha256", key).update(`${ts}.${body}`).digest("hex")}`;

  it("accepts a genuine, fresh event and returns it parsed", () => {
    expect(verifyStripeSignature({ webhookSecret: secret, rawBody: raw, signature: sign(nowSeconds - 10), now: NOW })).toMatchObject({ id: "evt_1", type: "payment_intent.succeeded" });
  });

  it("refuses a forged signature, a tampered body, the wrong secret and a missing header", () => {
    const cases = [
      { signature: `t=${nowSeconds},v1=${"0".repeat(64)}`, rawBody: raw },
      { signature: sign(nowSeconds), rawBody: raw.replace("pi_1", "pi_2") },
      { signature: sign(nowSeconds, raw, "whsec_another_secret"), rawBody: raw },
      { signature: undefined, rawBody: raw },
    ];
    for (const c of cases) expect(refusal(() => verifyStripeSignature({ webhookSecret: secret, rawBody: c.rawBody, signature: c.signature, now: NOW })).code).toBe("unauthorized");
  });

  it("refuses a genuine event signed more than 300 s ago", () => {
    const error = refusal(() => verifyStripeSignature({ webhookSecret: secret, rawBody: raw, signature: sign(nowSeconds - 301), now: NOW }));
    expect(error).toMatchObject({ code: "unauthorized", message: expect.stringContaining("tolerance") as string });
  });
});
