import { expect } from "vitest";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { describeMcpConformance, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { createTwilioServerFromConfig } from "./server.js";

const logger = createLogger({ level: "silent" });

/**
 * The stdio child reads the real clock, so the recipient is put where it is early afternoon now:
 * Etc/GMT-N is UTC+N (POSIX signs), and 13 - the UTC hour always lies within -10..+13.
 */
function afternoonZone(): string {
  const offset = 13 - new Date().getUTCHours();
  return offset === 0 ? "Etc/GMT" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

const sms = (to: string) => ({ to, body: "Conformance: your offsite starts at 9:00.", timeZone: afternoonZone() });

const CASES: ConformanceCase[] = [
  {
    tool: "send_sms",
    good: () => ({ ...sms("+351912345678"), idempotency_key: freshKey("sms") }),
    remember: (r, ids) => void (ids.sid = String((r.message as { sid: string }).sid)),
    bad: () => ({ ...sms("+12"), idempotency_key: freshKey("bad") }),
    field: /to/,
  },
  { tool: "get_message_status", good: (ids) => ({ sid: ids.sid }), bad: () => ({ sid: "SM-not-a-sid" }), field: /sid/ },
  {
    tool: "send_invitations",
    good: () => ({ recipients: [{ name: "Ana", phone: "+351912345679", timeZone: afternoonZone() }], template: "Hi {name}, you're invited to the offsite!", idempotency_key: freshKey("invite") }),
    bad: () => ({ recipients: [{ name: "Ana", phone: "+351912345679" }], template: "Hi there, you're invited!", idempotency_key: freshKey("bad") }),
    field: /template/,
  },
  { tool: "list_sent_messages", good: () => ({ to: "+351912345678" }), bad: () => ({ to: "0912345678" }), field: /to/ },
  { tool: "list_inbound_messages", good: () => ({}), bad: () => ({ limit: 0 }), field: /limit/ },
];

describeMcpConformance({
  server: "twilio",
  definition: () => createTwilioServerFromConfig({ config: loadConfig({}), logger }),
  cases: CASES,
  idempotency: {
    tool: "send_sms",
    args: sms("+351912345600"),
    count: async (client) => (await callOk<{ messages: unknown[] }>(client, "list_sent_messages", {})).messages.length,
  },
  isolation: async (connect) => {
    const a = await connect("conf-iso-a");
    const { message } = await callOk<{ message: { sid: string } }>(a.client, "send_sms", { ...sms("+351912345601"), idempotency_key: "iso-a-sms-key" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect(await callError(b.client, "get_message_status", { sid: message.sid })).toMatch(/^not_found/);
      expect((await callOk<{ messages: unknown[] }>(b.client, "list_sent_messages", {})).messages).toEqual([]);
      const own = await callOk<{ message: { sid: string } }>(b.client, "send_sms", { ...sms("+351912345601"), idempotency_key: "iso-a-sms-key" });
      expect(own.message.sid).not.toBe(message.sid);
    } finally {
      await b.close();
    }
  },
});
