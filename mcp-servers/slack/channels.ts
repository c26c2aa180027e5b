import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import type { SlackChannel } from "./backend.js";

/** Slack channel ids: C (public), G (private, older workspaces); upper-case letters and digits. */
const CHANNEL_ID = /^[CG][A-Z0-9]{8,}$/;

export function isChannelId(reference: string): boolean {
  return CHANNEL_ID.test(reference);
}

/** A channel as a tool argument: `#event-planning`, `event-planning` or `C0123ABCD`. */
export const channelReference = z
  .string()
  .trim()
  .regex(/^#?[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/, { error: "must be a channel name such as #event-planning or a channel id such as C0123ABCD" });

/** Names are compared the way Slack stores them (lower case, no '#'); ids stay as they are. */
export function normalizeChannelReference(reference: string): string {
  const bare = reference.trim().replace(/^#/, "");
  return isChannelId(bare) ? bare : bare.toLowerCase();
}

export function channelMatches(channel: Pick<SlackChannel, "id" | "name">, reference: string): boolean {
  const wanted = normalizeChannelReference(reference);
  return channel.id === wanted || channel.name === wanted;
}

/** `#name` for people and the model; a bare id when the name is unknown. */
export function displayChannel(channel: Pick<SlackChannel, "name">): string {
  return `#${channel.name}`;
}

/**
 * The posting allow-list (SLACK_ALLOWED_CHANNELS): names without '#', or channel ids. Checked on
 * the channel as resolved at posting time, so an id, a renamed channel or a name typed with a '#'
 * cannot slip past a list that only filtered what list_channels showed.
 */
export class PostingAllowList {
  private readonly entries: string[];

  constructor(allowedChannels: readonly string[]) {
    this.entries = allowedChannels.map(normalizeChannelReference).filter(Boolean);
  }

  /** The channel to post in when the caller names none: the first allowed one. */
  get defaultChannel(): string {
    const first = this.entries[0];
    if (!first) throw new AppError("forbidden", "Posting to Slack is disabled: SLACK_ALLOWED_CHANNELS lists no channel", { field: "channel" });
    return first;
  }

  get channels(): readonly string[] {
    return this.entries;
  }

  /** `#event-planning, C0123ABCD` for messages and instructions. */
  describe(): string {
    return this.entries.map((entry) => (isChannelId(entry) ? entry : `#${entry}`)).join(", ") || "no channel";
  }

  allows(channel: Pick<SlackChannel, "id" | "name">): boolean {
    return this.entries.some((entry) => entry === channel.id || entry === channel.name);
  }

  assertAllows(channel: Pick<SlackChannel, "id" | "name">): void {
    if (this.allows(channel)) return;
    throw new AppError("forbidden", `Posting in ${displayChannel(channel)} (${channel.id}) is not allowed: this bot may post only in ${this.describe()} (SLACK_ALLOWED_CHANNELS)`, {
      field: "channel",
      channel: channel.name,
      channelId: channel.id,
    });
  }
}
