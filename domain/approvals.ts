import { and, desc, eq, gt, isNull, lte, or, sql } from "drizzle-orm";
import { z } from "zod";
import { APPROVAL_STATUSES, approvals, runs, toolCalls, type Approval } from "../drizzle/schema/index.js";
import { AppError, NotFoundError } from "../lib/errors.js";
import { currencyCode, minorUnits, uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

const jsonObject = z.record(z.string(), z.unknown());

export const createApprovalInput = createInsertSchema(approvals, {
  runId: uuid,
  toolCallId: uuid.nullish(),
  action: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  summary: (s) => s.trim().min(1, { error: "must not be empty" }).max(1000),
  amountMinor: minorUnits.nullish(),
  currency: currencyCode.nullish(),
  recipients: z.array(z.string().trim().min(1, { error: "must not be empty" }).max(320)).max(500).optional(),
  payload: jsonObject,
  expiresAt: z.coerce.date({ error: "must be a date" }).nullish(),
})
  .pick({ runId: true, toolCallId: true, action: true, summary: true, amountMinor: true, currency: true, recipients: true, payload: true, expiresAt: true })
  .strict()
  // Mirrors approvals_amount_has_currency: an amount means nothing without its currency.
  .refine((v) => v.amountMinor == null || v.currency != null, { path: ["currency"], error: "is required with amountMinor" })
  .refine((v) => v.currency == null || v.amountMinor != null, { path: ["amountMinor"], error: "is required with currency" });
export type CreateApprovalInput = z.input<typeof createApprovalInput>;

export const listApprovalsInput = z
  .object({ status: z.enum(APPROVAL_STATUSES).optional(), runId: uuid.optional(), limit: z.number().int().positive().optional() })
  .strict();

export const decideApprovalInput = z
  .object({
    decision: z.enum(["approve", "reject"], { error: "must be approve or reject" }),
    note: z.string().trim().max(2000).optional(),
    decidedBy: z.string().trim().min(1, { error: "must not be empty" }).max(200),
    approvedPayload: jsonObject.optional(),
  })
  .strict()
  .refine((v) => v.decision === "approve" || v.approvedPayload === undefined, { path: ["approvedPayload"], error: "only applies to an approval" });
export type DecideApprovalInput = z.input<typeof decideApprovalInput>;

/** Pending and not yet past its deadline: the only state in which a decision is accepted. */
const stillOpen = and(eq(approvals.status, "pending"), or(isNull(approvals.expiresAt), gt(approvals.expiresAt, sql`now()`)));

export async function createApproval(ctx: DomainContext, input: CreateApprovalInput): Promise<Approval> {
  const values = parseInput(createApprovalInput, input);
  // The foreign keys alone would accept another workspace's run or tool call.
  const [run] = await ctx.db.select({ id: runs.id }).from(runs).where(ownedRow(runs, ctx, values.runId)).limit(1);
  if (!run) throw new NotFoundError("run", values.runId);
  if (values.toolCallId) {
    const [call] = await ctx.db
      .select({ id: toolCalls.id })
      .from(toolCalls)
      .where(and(ownedRow(toolCalls, ctx, values.toolCallId), or(isNull(toolCalls.runId), eq(toolCalls.runId, values.runId))))
      .limit(1);
    if (!call) throw new NotFoundError("tool call", values.toolCallId);
  }
  const [row] = await ctx.db
    .insert(approvals)
    .values({ ...values, workspaceId: ctx.workspaceId })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function getApproval(ctx: DomainContext, id: string): Promise<Approval> {
  const [row] = await ctx.db.select().from(approvals).where(ownedRow(approvals, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("approval", id);
  return row;
}

/** Mark the workspace's pending approvals whose deadline has passed as expired; returns how many. */
export async function expireApprovals(ctx: DomainContext): Promise<number> {
  const rows = await ctx.db
    .update(approvals)
    .set({ status: "expired", decidedAt: sql`now()` })
    .where(and(eq(approvals.workspaceId, ctx.workspaceId), eq(approvals.status, "pending"), lte(approvals.expiresAt, sql`now()`)))
    .returning({ id: approvals.id });
  return rows.length;
}

/** Newest first. Lapsed approvals are expired first, so `status: "pending"` lists only what can still be decided. */
export async function listApprovals(ctx: DomainContext, input: z.input<typeof listApprovalsInput> = {}): Promise<Approval[]> {
  const { status, runId, limit } = parseInput(listApprovalsInput, input);
  await expireApprovals(ctx);
  return ctx.db
    .select()
    .from(approvals)
    .where(and(eq(approvals.workspaceId, ctx.workspaceId), status ? eq(approvals.status, status) : undefined, runId ? eq(approvals.runId, runId) : undefined))
    .orderBy(desc(approvals.createdAt), desc(approvals.id))
    .limit(pageSize(limit));
}

/**
 * Approve or reject a pending approval. The UPDATE only matches an open approval, so of two
 * concurrent decisions exactly one lands; the other, and any later one, is invalid_state. A
 * decision after the deadline records the approval as expired and is refused.
 */
export async function decideApproval(ctx: DomainContext, id: string, input: DecideApprovalInput): Promise<Approval> {
  const approvalId = parseInput(uuid, id);
  const { decision, note, decidedBy, approvedPayload } = parseInput(decideApprovalInput, input);
  const [row] = await ctx.db
    .update(approvals)
    .set({
      status: decision === "approve" ? "approved" : "rejected",
      decidedAt: sql`now()`,
      decidedBy,
      note: note || null,
      approvedPayload: approvedPayload ?? null,
    })
    .where(and(ownedRow(approvals, ctx, approvalId), stillOpen))
    .returning();
  if (row) return row;
  const current = await getApproval(ctx, approvalId);
  if (current.status === "pending") {
    // Still pending yet not open: its deadline has passed. Record that so lists stop offering it.
    await ctx.db
      .update(approvals)
      .set({ status: "expired", decidedAt: sql`now()` })
      .where(and(ownedRow(approvals, ctx, approvalId), eq(approvals.status, "pending"), lte(approvals.expiresAt, sql`now()`)));
    throw new AppError("invalid_state", `approval ${approvalId} expired at ${current.expiresAt?.toISOString() ?? "an earlier time"}`, {
      status: "expired",
      expiresAt: current.expiresAt?.toISOString(),
    });
  }
  throw new AppError("invalid_state", `approval ${approvalId} is already ${current.status}`, { status: current.status });
}
