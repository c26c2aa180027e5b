import { pino, type Logger, type DestinationStream } from "pino";
import type { Config } from "./config.js";

export type { Logger } from "pino";

/** Structured paths pino removes before a line is written. */
const REDACT_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers[\"x-api-key\"]",
  "*.apiKey",
  "*.api_key",
  "*.token",
  "*.secret",
  "*.password",
  "*.signingSecret",
  "*.authToken",
  "*.phone",
  "*.to",
  "*.from",
];

const PHONE_IN_TEXT = /\+[1-9][0-9]{6,14}\b/g;

/** Mask E.164 numbers (keep the last two digits for support) and known secret values in free text. */
export function scrubText(text: string, secrets: readonly string[]): string {
  let out = text.replace(PHONE_IN_TEXT, (phone) => `+***${phone.slice(-2)}`);
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  return out;
}

function scrubValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === "string") return scrubText(value, secrets);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { type: value.name, message: scrubText(value.message, secrets), stack: value.stack && scrubText(value.stack, secrets) };
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, secrets, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubValue(item, secrets, depth + 1)]));
}

export interface LoggerOptions {
  level?: Config["logLevel"];
  secrets?: readonly string[];
  name?: string;
  /** Where lines go; stdout by default. The stdio MCP server passes stderr. */
  destination?: DestinationStream;
}

/**
 * The one logger factory. Secrets and phone numbers never reach a log line: pino redacts known
 * fields, and every string value (including the message) is scrubbed of E.164 numbers and of the
 * secret values from config.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  return pino(
    {
      name: options.name ?? "event-planner",
      level: options.level ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      formatters: {
        log: (object) => scrubValue(object, secrets, 0) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === "string" ? scrubText(arg, secrets) : arg)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
    },
    options.destination ?? pino.destination(1),
  );
}
