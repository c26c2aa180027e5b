/**
 * A Slack thread as this service names it on a conversation row (`conversations.external_ref`):
 * the Slack events webhook creates the conversation, the agent loop answers there, and the slack
 * server checks a thread has one before answering in it.
 */

/** Any conversation a request can come from: a channel (C, G) or a direct message (D). */
export const SLACK_CONVERSATION_ID = /^[CGD][A-Z0-9]{8,}$/;

/** How a Slack thread is named on its conversation row (`conversations.external_ref`). */
export function slackThreadRef(channelId: string, threadTs: string): string {
  return `${channelId}:${threadTs}`;
}

/** The thread a conversation row names, or undefined when the reference is not a Slack thread's. */
export function parseSlackThreadRef(ref: string | null): { channel: string; threadTs: string } | undefined {
  const match = /^([CGD][A-Z0-9]{8,}):(\d{10}\.\d{6})$/.exec(ref ?? "");
  return match?.[1] && match[2] ? { channel: match[1], threadTs: match[2] } : undefined;
}
