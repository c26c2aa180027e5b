import { z } from "zod";
import { ConfigError } from "./errors.js";
import { e164Phone, workspaceName } from "./formats.js";

const optionalString = z.string().min(1).optional();

const httpUrl = z
  .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
  .optional();

/** Comma-separated host names (no ports, no schemes), e.g. `localhost,mcp-postgres`. */
const hostList = z.string().regex(/^\s*(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(\s*,\s*(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+))*\s*$/, { error: "must be comma-separated host names without ports, e.g. localhost,mcp-postgres" });

const port = z.coerce
  .number({ error: "must be an integer from 1 to 65535" })
  .int({ error: "must be an integer from 1 to 65535" })
  .min(1, { error: "must be an integer from 1 to 65535" })
  .max(65535, { error: "must be an integer from 1 to 65535" });

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: "must be a positive integer" }).int({ error: "must be a positive integer" }).positive({ error: "must be a positive integer" }).default(fallback);

/**
 * Every environment variable the product reads, parsed once at start-up. Empty strings count as
 * unset so `FOO=` in a .env file means "use the default".
 */
const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "test", "production"], { error: "must be development, test or production" }).default("development"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { error: "must be one of fatal, error, warn, info, debug, trace, silent" }).default("info"),
    DATABASE_URL: z
      .url({ protocol: /^postgres(ql)?$/, error: "must be a postgres:// or postgresql:// URL" })
      .optional(),
    DATABASE_POOL_SIZE: positiveInt(10),
    EVENT_PLANNER_DATA_DIR: z.string().min(1).default("./.data"),
    REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL" }).default("redis://127.0.0.1:6379"),
    PORT: port.default(8000),
    EVENT_PLANNER_WORKSPACE: workspaceName.default("default"),
    LLM_PROVIDER: z.enum(["anthropic", "offline"], { error: "must be anthropic or offline" }).optional(),
    ANTHROPIC_API_KEY: optionalString,
    ANTHROPIC_BASE_URL: httpUrl,
    ANTHROPIC_MODEL: z.string().min(1).default("claude-sonnet-4-6"),
    AGENT_MAX_STEPS: positiveInt(40),
    AGENT_MAX_TOKENS: positiveInt(600_000),
    AGENT_MAX_COST_USD: z.coerce.number({ error: "must be a positive number of US dollars" }).positive({ error: "must be a positive number of US dollars" }).default(5),
    AGENT_MAX_WALL_SECONDS: positiveInt(900),
    APPROVAL_TTL_SECONDS: positiveInt(3 * 24 * 3600),
    WORKER_CONCURRENCY: positiveInt(2),
    WORKER_SHUTDOWN_SECONDS: positiveInt(25),
    WORKER_METRICS_PORT: port.default(9464),
    QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, { error: "must be 1-64 letters, digits, _ or -" }).default("event-planner"),
    API_RATE_LIMIT_PER_MINUTE: positiveInt(120),
    MCP_POSTGRES_URL: httpUrl,
    MCP_CALENDAR_URL: httpUrl,
    MCP_GDRIVE_URL: httpUrl,
    MCP_SLACK_URL: httpUrl,
    MCP_STRIPE_URL: httpUrl,
    MCP_TWILIO_URL: httpUrl,
    MCP_AUTH_TOKEN: z.string().min(16, { error: "must be at least 16 characters" }).optional(),
    MCP_ALLOWED_HOSTS: hostList.default("localhost,127.0.0.1,[::1]"),
    MCP_ALLOWED_ORIGINS: z.string().default(""),
    SLACK_BOT_TOKEN: z.string().startsWith("xox", { error: "must be a Slack token (xoxb-…)" }).optional(),
    SLACK_SIGNING_SECRET: optionalString,
    SLACK_BASE_URL: httpUrl,
    SLACK_ALLOWED_CHANNELS: z.string().regex(/^\s*[#A-Za-z0-9_-]+(\s*,\s*[#A-Za-z0-9_-]+)*\s*$/, { error: "must be comma-separated channel names or ids, e.g. event-planning,C0123ABCD" }).default("event-planning"),
    SLACK_APPROVERS: z.string().regex(/^\s*[UW][A-Z0-9]{2,}(\s*,\s*[UW][A-Z0-9]{2,})*\s*$/, { error: "must be comma-separated Slack user ids, e.g. U0123ABCD,U0456EFGH" }).optional(),
    STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_(test|live)_/, { error: "must be a Stripe secret key (sk_test_… or sk_live_…)" }).optional(),
    STRIPE_WEBHOOK_SECRET: z.string().startsWith("whsec_", { error: "must be a Stripe webhook secret (whsec_…)" }).optional(),
    STRIPE_BASE_URL: httpUrl,
    STRIPE_MAX_AMOUNT_MINOR: positiveInt(2_500_000),
    STRIPE_DEPOSIT_PAYMENT_METHOD: z.string().regex(/^pm_[A-Za-z0-9_]+$/, { error: "must be a Stripe PaymentMethod id (pm_…)" }).optional(),
    TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/, { error: "must be AC followed by 32 hex characters" }).optional(),
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_FROM_NUMBER: e164Phone.optional(),
    TWILIO_BASE_URL: httpUrl,
    TWILIO_QUIET_HOURS: z
      .string()
      .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$/, { error: "must be HH:MM-HH:MM in the recipient's local time, e.g. 21:00-08:00" })
      .default("21:00-08:00"),
    TWILIO_MAX_PER_RECIPIENT_PER_HOUR: positiveInt(3),
    GOOGLE_CLIENT_ID: optionalString,
    GOOGLE_CLIENT_SECRET: optionalString,
    GOOGLE_REFRESH_TOKEN: optionalString,
    GOOGLE_BASE_URL: httpUrl,
    GOOGLE_CALENDAR_ID: z.string().min(1).default("primary"),
    APPROVAL_SIGNING_SECRET: z.string().min(32, { error: "must be at least 32 characters" }).optional(),
    PUBLIC_BASE_URL: httpUrl,
    SMS_REPLIES_TO_AGENT: z.enum(["true", "false"], { error: "must be true or false" }).default("false"),
  })
  .superRefine((env, ctx) => {
    const together: readonly (readonly (keyof typeof env)[])[] = [
      ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"],
      ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REFRESH_TOKEN"],
    ];
    for (const group of together) {
      const set = group.filter((name) => env[name] !== undefined);
      if (set.length === 0 || set.length === group.length) continue;
      for (const name of group.filter((n) => env[n] === undefined)) {
        ctx.addIssue({ code: "custom", path: [name], message: `is required when ${set.join(" and ")} ${set.length > 1 ? "are" : "is"} set` });
      }
    }
    // Slack's buttons come back to the API process; a per-process random secret would not verify there.
    if (env.SLACK_BOT_TOKEN && !env.APPROVAL_SIGNING_SECRET) {
      ctx.addIssue({ code: "custom", path: ["APPROVAL_SIGNING_SECRET"], message: "is required when SLACK_BOT_TOKEN is set (approval buttons are verified by another process)" });
    }
    if (env.LLM_PROVIDER === "anthropic" && !env.ANTHROPIC_API_KEY) {
      ctx.addIssue({ code: "custom", path: ["ANTHROPIC_API_KEY"], message: "is required when LLM_PROVIDER=anthropic" });
    }
  });

type Env = z.output<typeof envSchema>;

/** Names whose values must never be echoed back, not even in a config error. */
export const SECRET_VARIABLES = [
  "DATABASE_URL",
  "REDIS_URL",
  "ANTHROPIC_API_KEY",
  "MCP_AUTH_TOKEN",
  "SLACK_BOT_TOKEN",
  "SLACK_SIGNING_SECRET",
  "STRIPE_SECRET_KEY",
  "STRIPE_WEBHOOK_SECRET",
  "TWILIO_AUTH_TOKEN",
  "GOOGLE_CLIENT_SECRET",
  "GOOGLE_REFRESH_TOKEN",
  "APPROVAL_SIGNING_SECRET",
] as const satisfies readonly (keyof Env)[];

export interface Config {
  env: Env["NODE_ENV"];
  logLevel: Env["LOG_LEVEL"];
  port: number;
  database: { kind: "postgres"; url: string; poolSize: number } | { kind: "pglite"; dataDir: string };
  redisUrl: string;
  dataDir: string;
  workspace: string;
  llm: { provider: "anthropic" | "offline"; apiKey?: string; baseUrl?: string; model: string };
  mcp: { authToken?: string; allowedHosts: string[]; allowedOrigins: string[]; urls: Partial<Record<"postgres" | "calendar" | "gdrive" | "slack" | "stripe" | "twilio", string>> };
  /** Per-run limits; reaching one ends the run failed with a reason a person understands. */
  agent: { maxSteps: number; maxTokens: number; maxCostUsd: number; maxWallSeconds: number; approvalTtlSeconds: number };
  /** Runs worked on at once per worker process, and how long SIGTERM waits for them to reach a step boundary. */
  worker: { concurrency: number; shutdownSeconds: number; metricsPort: number };
  /** The Redis key prefix of the run queue, so several deployments (or test runs) can share one Redis. */
  queuePrefix: string;
  /** Requests per API key per minute. */
  api: { rateLimitPerMinute: number };
  /** `approvers`: Slack user ids whose Approve/Reject clicks count; unset means anyone who can see the internal approvals channel. */
  slack: { botToken?: string; signingSecret?: string; baseUrl?: string; allowedChannels: string[]; approvers?: string[] };
  stripe: { secretKey?: string; webhookSecret?: string; baseUrl?: string; maxAmountMinor: number; depositPaymentMethod?: string };
  twilio: { accountSid?: string; authToken?: string; fromNumber?: string; baseUrl?: string; quietHours: { start: string; end: string }; maxPerRecipientPerHour: number };
  google: { clientId?: string; clientSecret?: string; refreshToken?: string; baseUrl?: string; calendarId: string };
  /** Signs approval tokens carried by Slack buttons; unset means a random per-process secret (single-process `serve` only). */
  approvalSigningSecret?: string;
  /** The origin (and any path prefix) providers call us at, e.g. https://planner.example.com: Twilio signs that URL. Unset: the request's own origin. */
  publicBaseUrl?: string;
  /** SMS_REPLIES_TO_AGENT: a guest's free-text SMS reply also starts an agent run in the event's conversation. */
  smsRepliesToAgent: boolean;
  /** Every secret value in this config, so the logger can scrub them from free text. */
  secrets: string[];
}

function describeIssue(issue: z.core.$ZodIssue, source: Record<string, string | undefined>): string {
  const name = String(issue.path[0] ?? "environment");
  const raw = source[name];
  const shown = raw !== undefined && !(SECRET_VARIABLES as readonly string[]).includes(name) ? ` (got "${raw}")` : "";
  return `${name} ${issue.message}${shown}`;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);
}

/** Parse the environment once. Throws ConfigError whose message has one line per bad variable. */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => describeIssue(issue, cleaned));
    throw new ConfigError(lines.map((line) => `Invalid configuration: ${line}`).join("\n"), {
      variables: result.error.issues.map((issue) => String(issue.path[0])),
    });
  }
  const env = result.data;
  const provider = env.LLM_PROVIDER ?? (env.ANTHROPIC_API_KEY ? "anthropic" : "offline");
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    port: env.PORT,
    database: env.DATABASE_URL
      ? { kind: "postgres", url: env.DATABASE_URL, poolSize: env.DATABASE_POOL_SIZE }
      : { kind: "pglite", dataDir: env.EVENT_PLANNER_DATA_DIR },
    redisUrl: env.REDIS_URL,
    dataDir: env.EVENT_PLANNER_DATA_DIR,
    workspace: env.EVENT_PLANNER_WORKSPACE,
    llm: { provider, apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL, model: env.ANTHROPIC_MODEL },
    mcp: {
      authToken: env.MCP_AUTH_TOKEN,
      allowedHosts: splitList(env.MCP_ALLOWED_HOSTS),
      allowedOrigins: splitList(env.MCP_ALLOWED_ORIGINS),
      // Set in Compose, where each server is its own container; unset means in-process.
      urls: Object.fromEntries(
        Object.entries({ postgres: env.MCP_POSTGRES_URL, calendar: env.MCP_CALENDAR_URL, gdrive: env.MCP_GDRIVE_URL, slack: env.MCP_SLACK_URL, stripe: env.MCP_STRIPE_URL, twilio: env.MCP_TWILIO_URL }).filter(([, url]) => url !== undefined),
      ),
    },
    worker: { concurrency: env.WORKER_CONCURRENCY, shutdownSeconds: env.WORKER_SHUTDOWN_SECONDS, metricsPort: env.WORKER_METRICS_PORT },
    queuePrefix: env.QUEUE_PREFIX,
    api: { rateLimitPerMinute: env.API_RATE_LIMIT_PER_MINUTE },
    agent: { maxSteps: env.AGENT_MAX_STEPS, maxTokens: env.AGENT_MAX_TOKENS, maxCostUsd: env.AGENT_MAX_COST_USD, maxWallSeconds: env.AGENT_MAX_WALL_SECONDS, approvalTtlSeconds: env.APPROVAL_TTL_SECONDS },
    slack: { botToken: env.SLACK_BOT_TOKEN, signingSecret: env.SLACK_SIGNING_SECRET, baseUrl: env.SLACK_BASE_URL, allowedChannels: splitList(env.SLACK_ALLOWED_CHANNELS).map((c) => c.replace(/^#/, "")), ...(env.SLACK_APPROVERS ? { approvers: splitList(env.SLACK_APPROVERS) } : {}) },
    stripe: { secretKey: env.STRIPE_SECRET_KEY, webhookSecret: env.STRIPE_WEBHOOK_SECRET, baseUrl: env.STRIPE_BASE_URL, maxAmountMinor: env.STRIPE_MAX_AMOUNT_MINOR, depositPaymentMethod: env.STRIPE_DEPOSIT_PAYMENT_METHOD },
    twilio: {
      accountSid: env.TWILIO_ACCOUNT_SID,
      authToken: env.TWILIO_AUTH_TOKEN,
      fromNumber: env.TWILIO_FROM_NUMBER,
      baseUrl: env.TWILIO_BASE_URL,
      quietHours: { start: env.TWILIO_QUIET_HOURS.slice(0, 5), end: env.TWILIO_QUIET_HOURS.slice(6) },
      maxPerRecipientPerHour: env.TWILIO_MAX_PER_RECIPIENT_PER_HOUR,
    },
    google: { clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET, refreshToken: env.GOOGLE_REFRESH_TOKEN, baseUrl: env.GOOGLE_BASE_URL, calendarId: env.GOOGLE_CALENDAR_ID },
    approvalSigningSecret: env.APPROVAL_SIGNING_SECRET,
    ...(env.PUBLIC_BASE_URL ? { publicBaseUrl: env.PUBLIC_BASE_URL.replace(/\/+$/, "") } : {}),
    smsRepliesToAgent: env.SMS_REPLIES_TO_AGENT === "true",
    secrets: SECRET_VARIABLES.map((name) => env[name]).filter((value): value is string => typeof value === "string" && value.length >= 6),
  };
}
