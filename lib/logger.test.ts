import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination, text: () => lines.join("") };
}

describe("logger", () => {
  it("writes structured JSON lines at the configured level", () => {
    const out = capture();
    const logger = createLogger({ level: "info", destination: out.destination });
    logger.debug("hidden");
    logger.info({ runId: "r1" }, "run started");
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0] ?? "{}")).toMatchObject({ level: 30, msg: "run started", runId: "r1", name: "event-planner" });
  });

  it("redacts authorization headers and secret-looking fields", () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination });
    logger.info({ req: { headers: { authorization: "Bearer epk_0123456789abcdef_secret" } }, stripe: { apiKey: "sk_live_x", token: "t0k" } }, "request");
    expect(out.text()).not.toContain("epk_0123456789abcdef_secret");
    expect(out.text()).not.toContain("sk_live_x");
    expect(out.text()).not.toContain("t0k");
    expect(out.text()).toContain("[redacted]");
  });

  it("masks phone numbers wherever they appear, keeping the last two digits", () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination });
    logger.info({ guest: { phone: "+351912345678" }, sms: { body: "reply from +14155550123: yes" } }, "SMS from +351912345678");
    const text = out.text();
    expect(text).not.toContain("912345678");
    expect(text).not.toContain("4155550123");
    expect(text).toContain("+***23");
  });

  it("scrubs configured secret values from messages, fields and errors", () => {
    const out = capture();
    const secret = "sk_test_abcdef123456";
    const logger = createLogger({ destination: out.destination, secrets: [secret] });
    logger.error({ err: new Error(`Stripe rejected key ${secret}`), detail: `key=${secret}` }, `calling with ${secret}`);
    expect(out.text()).not.toContain(secret);
    expect(out.text()).toContain("Stripe rejected key [redacted]");
  });
});
