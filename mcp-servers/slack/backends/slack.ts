import { LogLevel, WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, type Logger as SlackLogger, type RetryOptions } from "@slack/web-api";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { AppError } from "../../../lib/errors.js";
import type { Logger } from "../../../lib/logger.js";
import type { ToolContext } from "../../host/context.js";
import { POST_METADATA_EVENT_TYPE, postMetadata, type PostedMessage, type PostMessageInput, type SlackBackend, type SlackChannel, type SlackMessage } from "../backend.js";
import { channelMatches, displayChannel, isChannelId, normalizeChannelReference } from "../channels.js";
import { slackError, type SlackErrorContext } from "../errors.js";

/**
 * The real Slack, through `@slack/web-api`'s WebClient with the bot token. Rate limits are not
 * waited out inside a tool call (rejectRateLimitedCalls): the caller gets rate_limited with
 * Slack's Retry-After and decides. Posts are never retried by the SDK, because a retry after a lost
 * response would post twice; instead every post carries its idempotency key as message metadata
 * and is looked up before posting, so a repeated call finds the message an earlier attempt sent.
 */

export interface SlackApiBackendOptions {
  token: string;
  /** SLACK_BASE_URL: an origin (`http://127.0.0.1:4000` → `/api/` is added) or the full API root. */
  baseUrl?: string;
  logger: Logger;
  /** Retries of reads after network errors and 5xx answers. Posts are never retried by the SDK. */
  readRetries?: RetryOptions;
  now?: () => Date;
  /** How long a channel list answers name lookups before it is fetched again. */
  channelCacheSeconds?: number;
  /** How far back a post looks for an earlier attempt with the same key. */
  lookbackSeconds?: number;
}

const DEFAULT_READ_RETRIES: RetryOptions = { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 2000 };
const MAX_PAGES = 5;

/** The slice of a message object that conversations.history and conversations.replies both return. */
interface WireMessage {
  ts?: string;
  thread_ts?: string;
  text?: string;
  user?: string;
  bot_id?: string;
  reply_count?: number;
  reactions?: { name?: string; count?: number }[];
  metadata?: { event_type?: string; event_payload?: object };
}

const ourPayload = z.object({ idempotency_key: z.string(), workspace_id: z.string(), approval_id: z.string().optional() });

/** The Web API root the WebClient appends method names to; it must end with '/'. */
export function slackApiUrl(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  const url = new URL(baseUrl);
  if (url.pathname === "/") url.pathname = "/api/";
  else if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
  return url.toString();
}

/**
 * The SDK logs through this instead of its console logger: in stdio mode stdout carries only MCP
 * frames, and the console logger writes info lines there.
 */
function sdkLogger(logger: Logger): SlackLogger {
  const child = logger.child({ sdk: "@slack/web-api" });
  let level = LogLevel.WARN;
  const line = (parts: unknown[]) => parts.map((part) => (typeof part === "string" ? part : JSON.stringify(part))).join(" ");
  return {
    debug: (...parts: unknown[]) => child.debug(line(parts)),
    info: (...parts: unknown[]) => child.info(line(parts)),
    warn: (...parts: unknown[]) => child.warn(line(parts)),
    error: (...parts: unknown[]) => child.error(line(parts)),
    setLevel: (next: LogLevel) => void (level = next),
    getLevel: () => level,
    setName: () => undefined,
  };
}

export function toAppError(error: unknown, context: SlackErrorContext): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof WebAPIRateLimitedError) return slackError("ratelimited", { ...context, retryAfterSeconds: error.retryAfter });
  if (error instanceof WebAPIPlatformError) {
    const needed = (error.data as { needed?: unknown }).needed;
    return slackError(error.data.error, { ...context, retryAfterSeconds: error.data.response_metadata?.retryAfter, needed: typeof needed === "string" ? needed : undefined });
  }
  if (error instanceof WebAPIHTTPError) {
    return new AppError("upstream_failed", `Slack answered HTTP ${error.statusCode} to ${context.method}; try again later`, { method: context.method, status: error.statusCode }, { cause: error });
  }
  if (error instanceof WebAPIRequestError) {
    return new AppError("upstream_failed", `Could not reach Slack for ${context.method} (${error.original.message}); try again later`, { method: context.method }, { cause: error });
  }
  return new AppError("upstream_failed", `Slack ${context.method} failed unexpectedly`, { method: context.method }, { cause: error });
}

export class SlackApiBackend implements SlackBackend {
  readonly kind = "slack";
  private readonly reads: WebClient;
  private readonly writes: WebClient;
  private readonly now: () => Date;
  private readonly cacheMs: number;
  private readonly lookbackSeconds: number;
  private channelCache: { at: number; channels: SlackChannel[] } | undefined;
  private identity: Promise<{ userId: string | null; botId: string | null }> | undefined;
  private readonly postQueues = new Map<string, Promise<void>>();

  constructor(options: SlackApiBackendOptions) {
    const common = { slackApiUrl: slackApiUrl(options.baseUrl), logger: sdkLogger(options.logger), rejectRateLimitedCalls: true, timeout: 15_000 };
    this.reads = new WebClient(options.token, { ...common, retryConfig: options.readRetries ?? DEFAULT_READ_RETRIES });
    this.writes = new WebClient(options.token, { ...common, retryConfig: { retries: 0 } });
    this.now = options.now ?? (() => new Date());
    this.cacheMs = (options.channelCacheSeconds ?? 60) * 1000;
    this.lookbackSeconds = options.lookbackSeconds ?? 24 * 3600;
  }

  async listChannels(): Promise<SlackChannel[]> {
    const channels: SlackChannel[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES * 2; page++) {
      const result = await this.call({ method: "conversations.list" }, () =>
        this.reads.conversations.list({ types: "public_channel,private_channel", exclude_archived: true, limit: 200, cursor }),
      );
      for (const channel of result.channels ?? []) {
        if (!channel.id || !channel.name) continue;
        channels.push({
          id: channel.id,
          name: channel.name,
          isPrivate: channel.is_private ?? false,
          isMember: channel.is_member ?? false,
          topic: channel.topic?.value || null,
          purpose: channel.purpose?.value || null,
          memberCount: channel.num_members ?? null,
        });
      }
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) break;
    }
    channels.sort((a, b) => a.name.localeCompare(b.name));
    this.channelCache = { at: this.now().getTime(), channels };
    return channels;
  }

  async resolveChannel(_ctx: DomainContext, reference: string): Promise<SlackChannel> {
    const wanted = normalizeChannelReference(reference);
    const cache = this.channelCache;
    const cached = cache && this.now().getTime() - cache.at < this.cacheMs ? cache.channels.find((channel) => channelMatches(channel, wanted)) : undefined;
    const found = cached ?? (await this.listChannels()).find((channel) => channelMatches(channel, wanted));
    if (!found) throw slackError("channel_not_found", { method: "conversations.list", channel: isChannelId(wanted) ? wanted : `#${wanted}` });
    return found;
  }

  async findThread(_ctx: DomainContext, channel: SlackChannel, ts: string): Promise<string> {
    const result = await this.call({ method: "conversations.replies", channel: displayChannel(channel), ts }, () => this.reads.conversations.replies({ channel: channel.id, ts, limit: 1 }));
    const first = result.messages?.[0];
    if (!first?.ts) throw slackError("thread_not_found", { method: "conversations.replies", channel: displayChannel(channel), ts });
    return first.thread_ts ?? first.ts;
  }

  async postMessage(ctx: ToolContext, input: PostMessageInput): Promise<PostedMessage> {
    return this.onePostPerKey(ctx, input.idempotencyKey, async () => (await this.findEarlierPost(ctx, input)) ?? this.post(ctx, input));
  }

  private async post(ctx: DomainContext, input: PostMessageInput): Promise<PostedMessage> {
    const result = await this.call({ method: "chat.postMessage", channel: displayChannel(input.channel) }, () =>
      this.writes.chat.postMessage({
        channel: input.channel.id,
        text: input.text,
        blocks: input.blocks,
        thread_ts: input.threadTs,
        metadata: postMetadata(ctx, input),
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    if (!result.ts) throw new AppError("upstream_failed", "Slack accepted chat.postMessage but returned no message ts", { method: "chat.postMessage" });
    return { channelId: result.channel ?? input.channel.id, ts: result.ts, threadTs: input.threadTs ?? null, text: input.text };
  }

  async readThread(_ctx: DomainContext, input: { channel: SlackChannel; threadTs: string; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }> {
    const me = await this.me();
    const result = await this.call({ method: "conversations.replies", channel: displayChannel(input.channel), ts: input.threadTs }, () =>
      this.reads.conversations.replies({ channel: input.channel.id, ts: input.threadTs, limit: input.limit + 1, include_all_metadata: true }),
    );
    const messages: WireMessage[] = result.messages ?? [];
    return { messages: messages.map((message) => this.present(input.channel, message, me)), hasMore: result.has_more ?? false };
  }

  async readChannel(_ctx: DomainContext, input: { channel: SlackChannel; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }> {
    const me = await this.me();
    const result = await this.call({ method: "conversations.history", channel: displayChannel(input.channel) }, () =>
      this.reads.conversations.history({ channel: input.channel.id, limit: input.limit, include_all_metadata: true }),
    );
    const messages: WireMessage[] = result.messages ?? [];
    return { messages: messages.map((message) => this.present(input.channel, message, me)), hasMore: result.has_more ?? false };
  }

  async addReaction(_ctx: DomainContext, input: { channel: SlackChannel; ts: string; name: string }): Promise<{ alreadyReacted: boolean }> {
    try {
      await this.writes.reactions.add({ channel: input.channel.id, timestamp: input.ts, name: input.name });
      return { alreadyReacted: false };
    } catch (error) {
      // The reaction is there, which is what the caller wanted: a retry must not fail on it.
      if (error instanceof WebAPIPlatformError && error.data.error === "already_reacted") return { alreadyReacted: true };
      throw toAppError(error, { method: "reactions.add", channel: displayChannel(input.channel), ts: input.ts });
    }
  }

  /**
   * Look-then-post is only safe when no other attempt with the key is between its look and its
   * post: a retried call may overlap one still in flight (the ledger lets retry-safe calls run
   * again). Attempts queue per key in this process, and across processes on an advisory lock
   * held for the look and the post. PGlite belongs to one process, so the queue suffices there.
   */
  private async onePostPerKey<T>(ctx: ToolContext, key: string, run: () => Promise<T>): Promise<T> {
    const lockKey = `slack-post:${ctx.workspaceId}:${key}`;
    const locked =
      ctx.handle.driver === "postgres"
        ? () =>
            ctx.handle.db.transaction(async (tx) => {
              await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${lockKey}, 0))`);
              return run();
            })
        : run;
    const before = this.postQueues.get(lockKey) ?? Promise.resolve();
    const mine = before.then(locked);
    const settled = mine.then(
      () => undefined,
      () => undefined,
    );
    this.postQueues.set(lockKey, settled);
    try {
      return await mine;
    } finally {
      if (this.postQueues.get(lockKey) === settled) this.postQueues.delete(lockKey);
    }
  }

  /**
   * The message an earlier attempt with this key posted, if Slack has it: our metadata on one of
   * this bot's messages in the thread, or in the channel over the lookback window.
   */
  private async findEarlierPost(ctx: DomainContext, input: PostMessageInput): Promise<PostedMessage | undefined> {
    const me = await this.me();
    const channel = displayChannel(input.channel);
    const oldest = String(Math.floor(this.now().getTime() / 1000) - this.lookbackSeconds);
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = input.threadTs
        ? await this.call({ method: "conversations.replies", channel, ts: input.threadTs }, () =>
            this.reads.conversations.replies({ channel: input.channel.id, ts: input.threadTs ?? "", include_all_metadata: true, limit: 200, cursor }),
          )
        : await this.call({ method: "conversations.history", channel }, () =>
            this.reads.conversations.history({ channel: input.channel.id, include_all_metadata: true, limit: 200, oldest, cursor }),
          );
      const messages: WireMessage[] = result.messages ?? [];
      const match = messages.find((message) => {
        if (!this.isOurs(message, me) || message.metadata?.event_type !== POST_METADATA_EVENT_TYPE) return false;
        const payload = ourPayload.safeParse(message.metadata.event_payload);
        return payload.success && payload.data.idempotency_key === input.idempotencyKey && payload.data.workspace_id === ctx.workspaceId;
      });
      if (match?.ts) return { channelId: input.channel.id, ts: match.ts, threadTs: input.threadTs ?? null, text: match.text ?? input.text };
      cursor = result.response_metadata?.next_cursor || undefined;
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /** Who this token posts as (auth.test), asked once per process. */
  private me(): Promise<{ userId: string | null; botId: string | null }> {
    this.identity ??= this.call({ method: "auth.test" }, () => this.reads.auth.test()).then(
      (result) => ({ userId: result.user_id ?? null, botId: result.bot_id ?? null }),
      (error: unknown) => {
        this.identity = undefined;
        throw error;
      },
    );
    return this.identity;
  }

  private isOurs(message: WireMessage, me: { userId: string | null; botId: string | null }): boolean {
    return (me.botId !== null && message.bot_id === me.botId) || (me.userId !== null && message.user === me.userId);
  }

  private present(channel: SlackChannel, message: WireMessage, me: { userId: string | null; botId: string | null }): SlackMessage {
    const ours = this.isOurs(message, me);
    const payload = ours && message.metadata?.event_type === POST_METADATA_EVENT_TYPE ? ourPayload.safeParse(message.metadata.event_payload) : undefined;
    return {
      channelId: channel.id,
      ts: message.ts ?? "",
      threadTs: message.thread_ts ?? null,
      author: { kind: ours ? "us" : message.bot_id ? "app" : "person", userId: message.user ?? null, botId: message.bot_id ?? null },
      text: message.text ?? "",
      replyCount: message.reply_count ?? 0,
      reactions: (message.reactions ?? []).map((reaction) => ({ name: reaction.name ?? "", count: reaction.count ?? 0 })),
      approvalId: payload?.success ? (payload.data.approval_id ?? null) : null,
    };
  }

  private async call<T>(context: SlackErrorContext, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toAppError(error, context);
    }
  }
}

export function createSlackApiBackend(options: SlackApiBackendOptions): SlackApiBackend {
  return new SlackApiBackend(options);
}
