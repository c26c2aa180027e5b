import { createHash } from "node:crypto";
import { and, count, eq, inArray, max } from "drizzle-orm";
import { z } from "zod";
import type { DomainContext } from "../../../domain/context.js";
import { createSandboxObject, findSandboxObject, listSandboxObjects } from "../../../domain/sandbox.js";
import { fromDatabaseError } from "../../../drizzle/errors.js";
import { sandboxObjects, type SandboxObject } from "../../../drizzle/schema/index.js";
import { EMOJI_NAME_PATTERN, postMetadata, type PostedMessage, type PostMessageInput, type SlackBackend, type SlackChannel, type SlackMessage } from "../backend.js";
import { channelMatches, isChannelId, normalizeChannelReference } from "../channels.js";
import { slackError } from "../errors.js";

/**
 * Slack inside our stack: channels, messages (threads hang under their parent's ts) and reactions
 * in sandbox_objects, per workspace. It behaves like the Web API where a tool can tell: `C…`
 * channel ids, `1712345678.000100` message ids that only grow, channel_not_found /
 * thread_not_found / message_not_found / invalid_name for bad references, already_reacted as a
 * no-op, and one post per idempotency key.
 */

const SERVICE = "slack";
/** The bot the sandbox posts as; read_thread tells its messages from people's by these. */
export const SANDBOX_BOT = { userId: "U0SANDBOXBOT", botId: "B0SANDBOXBOT" } as const;
/** Seeded next to the allowed channels so a planner sees what the allow-list keeps it out of. */
export const SANDBOX_EXTRA_CHANNELS = ["general", "random"] as const;

const channelData = z.object({
  id: z.string(),
  name: z.string(),
  is_channel: z.boolean(),
  is_private: z.boolean(),
  is_member: z.boolean(),
  created: z.number().int(),
  num_members: z.number().int(),
  topic: z.object({ value: z.string() }),
  purpose: z.object({ value: z.string() }),
});
type ChannelData = z.infer<typeof channelData>;

const messageData = z.object({
  type: z.literal("message"),
  channel: z.string(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  text: z.string(),
  blocks: z.array(z.unknown()).optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  metadata: z.object({ event_type: z.string(), event_payload: z.record(z.string(), z.unknown()) }).optional(),
});
type MessageData = z.infer<typeof messageData>;

const reactionData = z.object({ channel: z.string(), ts: z.string(), name: z.string(), user: z.string() });

/** A stable id per channel name, so the same sandbox channel has the same id in every run. */
export function sandboxChannelId(name: string): string {
  return `C${createHash("sha256").update(`slack-sandbox:${name}`).digest("hex").slice(0, 10).toUpperCase()}`;
}

function formatTs(micros: bigint): string {
  return `${micros / 1_000_000n}.${(micros % 1_000_000n).toString().padStart(6, "0")}`;
}

function tsMicros(ts: string): bigint {
  const [seconds = "0", fraction = "0"] = ts.split(".");
  return BigInt(seconds) * 1_000_000n + BigInt(fraction.padEnd(6, "0").slice(0, 6));
}

function presentChannel(data: ChannelData): SlackChannel {
  return {
    id: data.id,
    name: data.name,
    isPrivate: data.is_private,
    isMember: data.is_member,
    topic: data.topic.value || null,
    purpose: data.purpose.value || null,
    memberCount: data.num_members,
  };
}

function authorOf(data: MessageData): SlackMessage["author"] {
  if (data.bot_id === SANDBOX_BOT.botId) return { kind: "us", userId: data.user ?? null, botId: data.bot_id };
  if (data.bot_id) return { kind: "app", userId: data.user ?? null, botId: data.bot_id };
  return { kind: "person", userId: data.user ?? null, botId: null };
}

function approvalIdOf(data: MessageData): string | null {
  const id = data.metadata?.event_payload.approval_id;
  return typeof id === "string" ? id : null;
}

export interface SandboxSlackOptions {
  /** SLACK_ALLOWED_CHANNELS: seeded as channels on first use, with general and random. */
  allowedChannels: readonly string[];
  now?: () => Date;
}

export class SandboxSlackBackend implements SlackBackend {
  readonly kind = "sandbox";
  private readonly seeds: readonly string[];
  private readonly now: () => Date;

  constructor(options: SandboxSlackOptions) {
    this.seeds = [...new Set([...options.allowedChannels.map(normalizeChannelReference), ...SANDBOX_EXTRA_CHANNELS])];
    this.now = options.now ?? (() => new Date());
  }

  async listChannels(ctx: DomainContext): Promise<SlackChannel[]> {
    return (await this.channelRows(ctx)).map(presentChannel).sort((a, b) => a.name.localeCompare(b.name));
  }

  async resolveChannel(ctx: DomainContext, reference: string): Promise<SlackChannel> {
    const wanted = normalizeChannelReference(reference);
    const found = (await this.listChannels(ctx)).find((channel) => channelMatches(channel, wanted));
    if (!found) throw slackError("channel_not_found", { method: "conversations.info", channel: isChannelId(wanted) ? wanted : `#${wanted}` });
    return found;
  }

  async findThread(ctx: DomainContext, channel: SlackChannel, ts: string): Promise<string> {
    const message = await this.findMessage(ctx, channel, ts);
    if (!message) throw slackError("thread_not_found", { method: "conversations.replies", channel: `#${channel.name}`, ts });
    return message.thread_ts ?? message.ts;
  }

  async postMessage(ctx: DomainContext, input: PostMessageInput): Promise<PostedMessage> {
    const data: MessageData = {
      type: "message",
      channel: input.channel.id,
      ts: "",
      text: input.text,
      user: SANDBOX_BOT.userId,
      bot_id: SANDBOX_BOT.botId,
      metadata: postMetadata(ctx, input),
    };
    if (input.threadTs) data.thread_ts = input.threadTs;
    if (input.blocks) data.blocks = input.blocks;
    const object = await this.insertMessage(ctx, data, { idempotencyKey: input.idempotencyKey, status: "posted" });
    const stored = messageData.parse(object.data);
    return { channelId: stored.channel, ts: stored.ts, threadTs: stored.thread_ts ?? null, text: stored.text };
  }

  /**
   * A message written by someone else (a person, by default): what the Slack events webhook would
   * deliver. Lets the web UI, evals and tests put a human reply in a sandbox thread.
   */
  async receiveMessage(ctx: DomainContext, input: { channel: SlackChannel; user: string; text: string; threadTs?: string; botId?: string }): Promise<PostedMessage> {
    const data: MessageData = { type: "message", channel: input.channel.id, ts: "", text: input.text, user: input.user };
    if (input.botId) data.bot_id = input.botId;
    if (input.threadTs) data.thread_ts = await this.findThread(ctx, input.channel, input.threadTs);
    const object = await this.insertMessage(ctx, data, { status: "received" });
    const stored = messageData.parse(object.data);
    return { channelId: stored.channel, ts: stored.ts, threadTs: stored.thread_ts ?? null, text: stored.text };
  }

  async readThread(ctx: DomainContext, input: { channel: SlackChannel; threadTs: string; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }> {
    const rootTs = await this.findThread(ctx, input.channel, input.threadTs);
    const root = await this.findMessage(ctx, input.channel, rootTs);
    if (!root) throw slackError("thread_not_found", { method: "conversations.replies", channel: `#${input.channel.name}`, ts: input.threadTs });
    const replies = (await listSandboxObjects(ctx, { service: SERVICE, kinds: ["message"], parentExternalId: rootTs, limit: 200 }))
      .map((row) => messageData.parse(row.data))
      .sort((a, b) => (tsMicros(a.ts) < tsMicros(b.ts) ? -1 : 1));
    const reactions = await this.reactionsOf(ctx, [rootTs]);
    const present = (data: MessageData, replyCount: number) => this.present(data, replyCount, reactions.get(data.ts) ?? []);
    return {
      messages: [present(root, replies.length), ...replies.slice(0, input.limit).map((reply) => present(reply, 0))],
      hasMore: replies.length > input.limit,
    };
  }

  async readChannel(ctx: DomainContext, input: { channel: SlackChannel; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }> {
    const rows = (await listSandboxObjects(ctx, { service: SERVICE, kinds: ["message"], parentExternalId: input.channel.id, limit: input.limit + 1 }))
      .map((row) => messageData.parse(row.data))
      .sort((a, b) => (tsMicros(a.ts) > tsMicros(b.ts) ? -1 : 1));
    const page = rows.slice(0, input.limit);
    const parents = page.map((message) => message.ts);
    const replyCounts = await this.replyCounts(ctx, parents);
    const reactions = await this.reactionsOf(ctx, parents);
    return { messages: page.map((data) => this.present(data, replyCounts.get(data.ts) ?? 0, reactions.get(data.ts) ?? [])), hasMore: rows.length > input.limit };
  }

  async addReaction(ctx: DomainContext, input: { channel: SlackChannel; ts: string; name: string }): Promise<{ alreadyReacted: boolean }> {
    const message = await this.findMessage(ctx, input.channel, input.ts);
    if (!message) throw slackError("message_not_found", { method: "reactions.add", channel: `#${input.channel.name}`, ts: input.ts });
    if (!EMOJI_NAME_PATTERN.test(input.name)) throw slackError("invalid_name", { method: "reactions.add" });
    const externalId = `${input.channel.id}/${input.ts}/${input.name}`;
    // Keyed by what it is, not by the call: Slack keeps one reaction per emoji and user on a message.
    const { replay } = await createSandboxObject(ctx, {
      service: SERVICE,
      kind: "reaction",
      externalId,
      parentExternalId: message.thread_ts ?? message.ts,
      idempotencyKey: `reaction:${externalId}`,
      status: "added",
      data: { channel: input.channel.id, ts: input.ts, name: input.name, user: SANDBOX_BOT.userId },
    });
    return { alreadyReacted: replay };
  }

  private present(data: MessageData, replyCount: number, reactions: SlackMessage["reactions"]): SlackMessage {
    return {
      channelId: data.channel,
      ts: data.ts,
      threadTs: data.thread_ts ?? (replyCount > 0 ? data.ts : null),
      author: authorOf(data),
      text: data.text,
      replyCount,
      reactions,
      approvalId: approvalIdOf(data),
    };
  }

  private async findMessage(ctx: DomainContext, channel: SlackChannel, ts: string): Promise<MessageData | undefined> {
    const row = await findSandboxObject(ctx, SERVICE, "message", ts);
    if (!row) return undefined;
    const data = messageData.parse(row.data);
    return data.channel === channel.id ? data : undefined;
  }

  /** The workspace's channels, seeding the missing ones first (once: the seed key makes it a no-op). */
  private async channelRows(ctx: DomainContext): Promise<ChannelData[]> {
    const rows = (await listSandboxObjects(ctx, { service: SERVICE, kinds: ["channel"], limit: 200 })).map((row) => channelData.parse(row.data));
    const missing = this.seeds.filter((seed) => !rows.some((row) => row.id === seed || row.name === seed));
    for (const seed of missing) {
      const id = isChannelId(seed) ? seed : sandboxChannelId(seed);
      const data: ChannelData = {
        id,
        name: seed.toLowerCase(),
        is_channel: true,
        is_private: false,
        is_member: true,
        created: Math.floor(this.now().getTime() / 1000),
        num_members: 1,
        topic: { value: "" },
        purpose: { value: seed === "general" ? "Announcements for the whole workspace" : seed === "random" ? "Anything that is not work" : "" },
      };
      const { object } = await createSandboxObject(ctx, { service: SERVICE, kind: "channel", externalId: id, idempotencyKey: `seed:${seed}`, status: "active", data });
      rows.push(channelData.parse(object.data));
    }
    return rows;
  }

  /**
   * Insert with the next ts of this workspace: after the newest one and not before the clock, so
   * ts only grow. Two writers racing for one ts collide on the unique external id; the loser
   * takes the next one.
   */
  private async insertMessage(ctx: DomainContext, data: MessageData, options: { idempotencyKey?: string; status: string }): Promise<SandboxObject> {
    // Racers that lose take the next free ts after a small random step, so they stop colliding with each other.
    let spread = 0n;
    for (let attempt = 0; ; attempt++) {
      const [row] = await ctx.db
        .select({ last: max(sandboxObjects.externalId) })
        .from(sandboxObjects)
        .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, SERVICE), eq(sandboxObjects.kind, "message")));
      const clock = BigInt(this.now().getTime()) * 1000n;
      const next = row?.last ? tsMicros(row.last) + 1n : 0n;
      const ts = formatTs((clock > next ? clock : next) + spread);
      try {
        const { object } = await createSandboxObject(ctx, {
          service: SERVICE,
          kind: "message",
          externalId: ts,
          parentExternalId: data.thread_ts ?? data.channel,
          idempotencyKey: options.idempotencyKey,
          status: options.status,
          data: { ...data, ts },
        });
        return object;
      } catch (error) {
        const conflict = fromDatabaseError(error);
        if (attempt >= 19 || conflict.details?.constraint !== "sandbox_objects_external_id_unique") throw error;
        spread = BigInt(1 + Math.floor(Math.random() * 1000));
      }
    }
  }

  private async replyCounts(ctx: DomainContext, parents: string[]): Promise<Map<string, number>> {
    if (parents.length === 0) return new Map();
    const rows = await ctx.db
      .select({ parent: sandboxObjects.parentExternalId, replies: count() })
      .from(sandboxObjects)
      .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, SERVICE), eq(sandboxObjects.kind, "message"), inArray(sandboxObjects.parentExternalId, parents)))
      .groupBy(sandboxObjects.parentExternalId);
    return new Map(rows.map((row) => [row.parent ?? "", row.replies]));
  }

  /** Reactions hang under their thread's parent ts; grouped by message, then by emoji. */
  private async reactionsOf(ctx: DomainContext, threads: string[]): Promise<Map<string, SlackMessage["reactions"]>> {
    if (threads.length === 0) return new Map();
    const rows = await ctx.db
      .select({ data: sandboxObjects.data })
      .from(sandboxObjects)
      .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, SERVICE), eq(sandboxObjects.kind, "reaction"), inArray(sandboxObjects.parentExternalId, threads)))
      .orderBy(sandboxObjects.createdAt, sandboxObjects.id);
    const byMessage = new Map<string, SlackMessage["reactions"]>();
    for (const row of rows) {
      const reaction = reactionData.parse(row.data);
      const list = byMessage.get(reaction.ts) ?? [];
      const existing = list.find((r) => r.name === reaction.name);
      if (existing) existing.count += 1;
      else list.push({ name: reaction.name, count: 1 });
      byMessage.set(reaction.ts, list);
    }
    return byMessage;
  }
}

export function createSandboxSlackBackend(options: SandboxSlackOptions): SandboxSlackBackend {
  return new SandboxSlackBackend(options);
}
