import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import { loadConfig } from "./config.js";

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("configuration was accepted");
}

describe("config", () => {
  it("runs with nothing set: embedded PGlite, local Redis, port 8000, offline model", () => {
    const config = loadConfig({});
    expect(config.database).toEqual({ kind: "pglite", dataDir: "./.data" });
    expect(config.redisUrl).toBe("redis://127.0.0.1:6379");
    expect(config.port).toBe(8000);
    expect(config.workspace).toBe("default");
    expect(config.llm.provider).toBe("offline");
    expect(config.slack.allowedChannels).toEqual(["event-planning"]);
    expect(config.stripe.maxAmountMinor).toBe(2_500_000);
    expect(config.twilio).toMatchObject({ quietHours: { start: "21:00", end: "08:00" }, maxPerRecipientPerHour: 3 });
    expect(loadConfig({ SLACK_ALLOWED_CHANNELS: "#event-planning, C0123ABCD" }).slack.allowedChannels).toEqual(["event-planning", "C0123ABCD"]);
    expect(config.slack.approvers).toBeUndefined();
    expect(config.queuePrefix).toBe("event-planner");
    expect(() => loadConfig({ QUEUE_PREFIX: "a b" })).toThrow(/QUEUE_PREFIX must be 1-64 letters/);
    expect(loadConfig({ SLACK_APPROVERS: "U0123ABCD, W0456EFGH" }).slack.approvers).toEqual(["U0123ABCD", "W0456EFGH"]);
    expect(config.mcp).toEqual({ authToken: undefined, allowedHosts: ["localhost", "127.0.0.1", "[::1]"], allowedOrigins: [], urls: {} });
    expect(config.agent).toEqual({ maxSteps: 40, maxTokens: 600_000, maxCostUsd: 5, maxWallSeconds: 900, approvalTtlSeconds: 259_200 });
    expect(loadConfig({ MCP_STRIPE_URL: "http://mcp-stripe:3001/mcp" }).mcp.urls).toEqual({ stripe: "http://mcp-stripe:3001/mcp" });
    expect(loadConfig({ MCP_ALLOWED_HOSTS: "localhost, mcp-postgres", MCP_ALLOWED_ORIGINS: "https://planner.example" }).mcp).toMatchObject({ allowedHosts: ["localhost", "mcp-postgres"], allowedOrigins: ["https://planner.example"] });
  });

  it("uses Postgres and the real model when configured, and treats empty values as unset", () => {
    const config = loadConfig({ DATABASE_URL: "postgres://app@db:5432/events", ANTHROPIC_API_KEY: "sk-ant-test-123456", PORT: "", EVENT_PLANNER_WORKSPACE: "acme" });
    expect(config.database).toEqual({ kind: "postgres", url: "postgres://app@db:5432/events", poolSize: 10 });
    expect(config.llm.provider).toBe("anthropic");
    expect(config.port).toBe(8000);
    expect(config.workspace).toBe("acme");
    expect(loadConfig({ ANTHROPIC_API_KEY: "sk-ant-test-123456", LLM_PROVIDER: "offline" }).llm.provider).toBe("offline");
  });

  it.each([
    [{ PORT: "abc" }, 'Invalid configuration: PORT must be an integer from 1 to 65535 (got "abc")'],
    [{ PORT: "70000" }, 'Invalid configuration: PORT must be an integer from 1 to 65535 (got "70000")'],
    [{ DATABASE_URL: "mysql://x@y/z" }, "Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL"],
    [{ REDIS_URL: "localhost:6379" }, "Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL"],
    [{ LLM_PROVIDER: "openai" }, 'Invalid configuration: LLM_PROVIDER must be anthropic or offline (got "openai")'],
    [{ LLM_PROVIDER: "anthropic" }, "Invalid configuration: ANTHROPIC_API_KEY is required when LLM_PROVIDER=anthropic"],
    [{ ANTHROPIC_BASE_URL: "not a url" }, 'Invalid configuration: ANTHROPIC_BASE_URL must be an http(s) URL (got "not a url")'],
    [{ EVENT_PLANNER_WORKSPACE: "Acme Corp" }, 'Invalid configuration: EVENT_PLANNER_WORKSPACE must be 1-63 lowercase letters, digits or hyphens, e.g. acme (got "Acme Corp")'],
    [{ LOG_LEVEL: "verbose" }, 'Invalid configuration: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")'],
    [{ STRIPE_SECRET_KEY: "pk_test_abc" }, "Invalid configuration: STRIPE_SECRET_KEY must be a Stripe secret key (sk_test_… or sk_live_…)"],
    [{ STRIPE_WEBHOOK_SECRET: "abc" }, "Invalid configuration: STRIPE_WEBHOOK_SECRET must be a Stripe webhook secret (whsec_…)"],
    [{ SLACK_BOT_TOKEN: "bot-123", APPROVAL_SIGNING_SECRET: "x".repeat(32) }, "Invalid configuration: SLACK_BOT_TOKEN must be a Slack token (xoxb-…)"],
    [{ TWILIO_FROM_NUMBER: "555-0100", TWILIO_ACCOUNT_SID: `AC${"a".repeat(32)}`, TWILIO_AUTH_TOKEN: "token123456" }, 'Invalid configuration: TWILIO_FROM_NUMBER must be an E.164 phone number, e.g. +351912345678 (got "555-0100")'],
    [{ TWILIO_ACCOUNT_SID: "AC123", TWILIO_AUTH_TOKEN: "token123456", TWILIO_FROM_NUMBER: "+15005550006" }, 'Invalid configuration: TWILIO_ACCOUNT_SID must be AC followed by 32 hex characters (got "AC123")'],
    [{ MCP_AUTH_TOKEN: "short" }, "Invalid configuration: MCP_AUTH_TOKEN must be at least 16 characters"],
    [{ MCP_ALLOWED_HOSTS: "http://evil.example:80" }, 'Invalid configuration: MCP_ALLOWED_HOSTS must be comma-separated host names without ports, e.g. localhost,mcp-postgres (got "http://evil.example:80")'],
    [{ TWILIO_QUIET_HOURS: "9pm-8am" }, 'Invalid configuration: TWILIO_QUIET_HOURS must be HH:MM-HH:MM in the recipient\'s local time, e.g. 21:00-08:00 (got "9pm-8am")'],
    [{ STRIPE_MAX_AMOUNT_MINOR: "12.5" }, 'Invalid configuration: STRIPE_MAX_AMOUNT_MINOR must be a positive integer (got "12.5")'],
    [{ SLACK_ALLOWED_CHANNELS: "general; random" }, 'Invalid configuration: SLACK_ALLOWED_CHANNELS must be comma-separated channel names or ids, e.g. event-planning,C0123ABCD (got "general; random")'],
    [{ APPROVAL_SIGNING_SECRET: "short" }, "Invalid configuration: APPROVAL_SIGNING_SECRET must be at least 32 characters"],
    [{ STRIPE_DEPOSIT_PAYMENT_METHOD: "card_123" }, 'Invalid configuration: STRIPE_DEPOSIT_PAYMENT_METHOD must be a Stripe PaymentMethod id (pm_…) (got "card_123")'],
    [{ SLACK_BOT_TOKEN: "xoxb-123" }, "Invalid configuration: APPROVAL_SIGNING_SECRET is required when SLACK_BOT_TOKEN is set (approval buttons are verified by another process)"],
    [{ AGENT_MAX_COST_USD: "free" }, 'Invalid configuration: AGENT_MAX_COST_USD must be a positive number of US dollars (got "free")'],
    [{ MCP_STRIPE_URL: "stripe:3000" }, 'Invalid configuration: MCP_STRIPE_URL must be an http(s) URL (got "stripe:3000")'],
    [{ DATABASE_POOL_SIZE: "0" }, 'Invalid configuration: DATABASE_POOL_SIZE must be a positive integer (got "0")'],
    [{ PUBLIC_BASE_URL: "planner.example.com" }, 'Invalid configuration: PUBLIC_BASE_URL must be an http(s) URL (got "planner.example.com")'],
    [{ SMS_REPLIES_TO_AGENT: "yes" }, 'Invalid configuration: SMS_REPLIES_TO_AGENT must be true or false (got "yes")'],
  ])("names the variable and the problem in one line: %o", (env, line) => {
    const error = configError(env);
    expect(error.message).toBe(line);
    expect(error.message.split("\n")).toHaveLength(1);
  });

  it("reads the public base URL without a trailing slash, and SMS replies stay with the guest unless SMS_REPLIES_TO_AGENT=true", () => {
    expect(loadConfig({}).publicBaseUrl).toBeUndefined();
    expect(loadConfig({ PUBLIC_BASE_URL: "https://planner.example.com/" }).publicBaseUrl).toBe("https://planner.example.com");
    expect(loadConfig({}).smsRepliesToAgent).toBe(false);
    expect(loadConfig({ SMS_REPLIES_TO_AGENT: "true" }).smsRepliesToAgent).toBe(true);
  });

  it("asks for the rest of an integration's credentials when only part is set", () => {
    const error = configError({ GOOGLE_CLIENT_ID: "client.apps.example" });
    expect(error.message.split("\n")).toEqual([
      "Invalid configuration: GOOGLE_CLIENT_SECRET is required when GOOGLE_CLIENT_ID is set",
      "Invalid configuration: GOOGLE_REFRESH_TOKEN is required when GOOGLE_CLIENT_ID is set",
    ]);
  });

  it("never echoes a secret value back in an error", () => {
    const error = configError({ STRIPE_SECRET_KEY: "pk_live_supersecretvalue", DATABASE_URL: "mysql://user:hunter2@db/x" });
    expect(error.message).not.toContain("supersecretvalue");
    expect(error.message).not.toContain("hunter2");
  });

  it("collects secret values so the logger can scrub them", () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: "sk_test_abcdef123456", TWILIO_ACCOUNT_SID: `AC${"b".repeat(32)}`, TWILIO_AUTH_TOKEN: "twilio-auth-xyz", TWILIO_FROM_NUMBER: "+15005550006" });
    expect(config.secrets).toEqual(expect.arrayContaining(["sk_test_abcdef123456", "twilio-auth-xyz"]));
    expect(config.twilio.fromNumber).toBe("+15005550006");
  });
});
