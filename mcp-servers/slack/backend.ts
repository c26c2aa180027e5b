import type { KnownBlock } from "@slack/web-api";
import type { ToolContext } from "../host/context.js";

/**
 * What the slack tools need from Slack. Two implementations: the Web API through `@slack/web-api`
 * (a bot token is configured) and the sandbox, which keeps channels, threads and reactions in
 * sandbox_objects. Both speak Slack's ids (C…, 1712345678.000100) and raise the same errors
 * (errors.ts), so a tool cannot tell them apart.
 */

export interface SlackChannel {
  id: string;
  /** Lower case, without '#'. */
  name: string;
  isPrivate: boolean;
  isMember: boolean;
  /** Written by people in Slack. */
  topic: string | null;
  purpose: string | null;
  memberCount: number | null;
}

export interface SlackAuthor {
  /** `us`: this bot; `person`: a human member; `app`: another bot or integration. */
  kind: "us" | "person" | "app";
  userId: string | null;
  botId: string | null;
}

export interface SlackMessage {
  channelId: string;
  ts: string;
  /** The thread's parent ts; null for a message that is not in a thread. */
  threadTs: string | null;
  author: SlackAuthor;
  text: string;
  replyCount: number;
  reactions: { name: string; count: number }[];
  /** Set on approval requests this bot posted. */
  approvalId: string | null;
}

export interface PostMessageInput {
  channel: SlackChannel;
  /** Message text, or the notification fallback when blocks are given. */
  text: string;
  blocks?: KnownBlock[];
  /** A thread's parent ts, already checked with `findThread`. */
  threadTs?: string;
  /** The tool call's key: a second post with it returns the first message. */
  idempotencyKey: string;
  approvalId?: string;
}

export interface PostedMessage {
  channelId: string;
  ts: string;
  threadTs: string | null;
  text: string;
}

export interface SlackBackend {
  readonly kind: "sandbox" | "slack";
  /** Channels the bot can see, by name. */
  listChannels(ctx: ToolContext): Promise<SlackChannel[]>;
  /** A name (with or without '#') or id; `not_found` (channel_not_found) when there is none. */
  resolveChannel(ctx: ToolContext, reference: string): Promise<SlackChannel>;
  /** The thread's parent ts for any message of it; `not_found` (thread_not_found) otherwise. */
  findThread(ctx: ToolContext, channel: SlackChannel, ts: string): Promise<string>;
  postMessage(ctx: ToolContext, input: PostMessageInput): Promise<PostedMessage>;
  /** The parent first, then up to `limit` replies, oldest first. */
  readThread(ctx: ToolContext, input: { channel: SlackChannel; threadTs: string; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }>;
  /** The newest `limit` top-level messages, newest first. */
  readChannel(ctx: ToolContext, input: { channel: SlackChannel; limit: number }): Promise<{ messages: SlackMessage[]; hasMore: boolean }>;
  /** Slack's already_reacted counts as done. */
  addReaction(ctx: ToolContext, input: { channel: SlackChannel; ts: string; name: string }): Promise<{ alreadyReacted: boolean }>;
}

/** Attached to every post as Slack message metadata, so a retry can find the post a lost response hid. */
export const POST_METADATA_EVENT_TYPE = "event_planner_post";

// A type, not an interface: it has to fit Record<string, unknown> where it is stored as JSON.
export type PostMetadataPayload = {
  idempotency_key: string;
  workspace_id: string;
  approval_id?: string;
};

export function postMetadata(ctx: Pick<ToolContext, "workspaceId">, input: Pick<PostMessageInput, "idempotencyKey" | "approvalId">): { event_type: string; event_payload: PostMetadataPayload } {
  const payload: PostMetadataPayload = { idempotency_key: input.idempotencyKey, workspace_id: ctx.workspaceId };
  if (input.approvalId) payload.approval_id = input.approvalId;
  return { event_type: POST_METADATA_EVENT_TYPE, event_payload: payload };
}

/** `1712345678.000100` → the instant it names. */
export function tsToDate(ts: string): Date {
  const [seconds = "0", micros = "0"] = ts.split(".");
  return new Date(Number(seconds) * 1000 + Math.floor(Number(micros.padEnd(6, "0")) / 1000));
}

export const TS_PATTERN = /^\d{10}\.\d{6}$/;

/** Emoji names as Slack spells them: lower case, digits, _ + ' -, an optional skin tone. */
export const EMOJI_NAME_PATTERN = /^[a-z0-9_+'-]{1,100}(::skin-tone-[2-6])?$/;
