/**
 * Twilio's status callbacks, applied to the record of what we sent: the real twilio backend keeps
 * each message this workspace sent as a `sent_log` object (mcp-servers/twilio/backends/twilio.ts),
 * and that is where get_message_status and list_sent_messages read the last status known.
 */
import { and, eq } from "drizzle-orm";
import type { Database } from "../drizzle/client.js";
import { sandboxObjects, type SandboxObject } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import type { DomainContext } from "./context.js";
import { updateSandboxObject } from "./sandbox.js";

const SENT_LOG = { service: "twilio", kind: "sent_log" } as const;

/**
 * How far along a message is. Callbacks can arrive out of order (`sent` after `delivered`), so a
 * status never replaces one further along; the final ones share a rank, so a late `undelivered`
 * still replaces `delivered` as Twilio's own record would.
 */
const STATUS_RANK: Readonly<Record<string, number>> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  sent: 3,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  partially_delivered: 4,
  read: 5,
};

const SENT_RANK = 3;

export function isKnownSmsStatus(status: string): boolean {
  return STATUS_RANK[status] !== undefined;
}

/** The message we sent with this sid, in whichever workspace sent it (a Twilio sid is unique across accounts). */
export async function findSentSms(db: Database, sid: string): Promise<SandboxObject | undefined> {
  const [row] = await db
    .select()
    .from(sandboxObjects)
    .where(and(eq(sandboxObjects.service, SENT_LOG.service), eq(sandboxObjects.kind, SENT_LOG.kind), eq(sandboxObjects.externalId, sid)))
    .limit(1);
  return row;
}

export interface SmsStatusUpdate {
  status: string;
  /** Twilio's ErrorCode for failed/undelivered messages. */
  errorCode?: number;
  at: Date;
}

/**
 * Apply a status to a sent message (by its row id, in the context's workspace); `changed: false` when
 * it is not news (the same or an earlier status). The row is locked first, so two callbacks racing
 * each other cannot leave the earlier status on top.
 */
export async function applySmsDeliveryStatus(ctx: DomainContext, sentId: string, update: SmsStatusUpdate): Promise<{ changed: boolean; message: SandboxObject }> {
  return ctx.db.transaction(async (tx) => {
    const [sent] = await tx
      .select()
      .from(sandboxObjects)
      .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.id, sentId), eq(sandboxObjects.kind, SENT_LOG.kind)))
      .for("update");
    if (!sent) throw new NotFoundError("sent message", sentId);
    const next = STATUS_RANK[update.status];
    const current = STATUS_RANK[sent.status] ?? 0;
    const news = update.status !== sent.status || (update.errorCode !== undefined && update.errorCode !== sent.data.errorCode);
    if (next === undefined || next < current || !news) return { changed: false, message: sent };
    const at = update.at.toISOString();
    const data: Record<string, unknown> = { ...sent.data, updatedAt: at };
    if (next >= SENT_RANK && (data.sentAt === null || data.sentAt === undefined)) data.sentAt = at;
    if (update.errorCode !== undefined) data.errorCode = update.errorCode;
    const message = await updateSandboxObject({ ...ctx, db: tx }, sent.id, { status: update.status, data });
    return { changed: true, message };
  });
}
