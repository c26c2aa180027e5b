import { and, desc, eq, inArray, type SQL } from "drizzle-orm";
import { z } from "zod";
import { SANDBOX_SERVICES, sandboxObjects, type SandboxObject, type SandboxService } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { pageSize } from "./scope.js";

/** The sandbox backends' persistence: each creates vendor-shaped objects here, once per idempotency key. */

const createInput = z
  .object({
    service: z.enum(SANDBOX_SERVICES),
    kind: z.string().min(1).max(50),
    externalId: z.string().min(1).max(255),
    parentExternalId: z.string().min(1).max(255).optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    status: z.string().min(1).max(50),
    data: z.record(z.string(), z.unknown()),
  })
  .strict();
export type CreateSandboxObjectInput = z.input<typeof createInput>;

/**
 * Record what a sandbox backend did. With an idempotency key already used for this service and
 * kind, nothing new is written and the first object comes back with `replay: true`.
 */
export async function createSandboxObject(ctx: DomainContext, input: CreateSandboxObjectInput): Promise<{ object: SandboxObject; replay: boolean }> {
  const values = parseInput(createInput, input);
  const [inserted] = await ctx.db
    .insert(sandboxObjects)
    .values({ ...values, workspaceId: ctx.workspaceId })
    .onConflictDoNothing({ target: [sandboxObjects.workspaceId, sandboxObjects.service, sandboxObjects.kind, sandboxObjects.idempotencyKey] })
    .returning();
  if (inserted) return { object: inserted, replay: false };
  // Only a repeated idempotency key reaches here: without a key nothing conflicts on that
  // constraint, and a taken external id fails the insert itself (a conflict error).
  const [existing] = await ctx.db
    .select()
    .from(sandboxObjects)
    .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, values.service), eq(sandboxObjects.kind, values.kind), eq(sandboxObjects.idempotencyKey, values.idempotencyKey ?? "")))
    .limit(1);
  if (!existing) throw new NotFoundError(`sandbox ${values.service} ${values.kind} for key`, values.idempotencyKey ?? values.externalId);
  return { object: existing, replay: true };
}

export async function findSandboxObject(ctx: DomainContext, service: SandboxService, kind: string, externalId: string): Promise<SandboxObject | undefined> {
  const [row] = await ctx.db
    .select()
    .from(sandboxObjects)
    .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.service, service), eq(sandboxObjects.kind, kind), eq(sandboxObjects.externalId, externalId)))
    .limit(1);
  return row;
}

export async function updateSandboxObject(ctx: DomainContext, id: string, patch: { status?: string; data?: Record<string, unknown> }): Promise<SandboxObject> {
  const [row] = await ctx.db
    .update(sandboxObjects)
    .set(patch)
    .where(and(eq(sandboxObjects.workspaceId, ctx.workspaceId), eq(sandboxObjects.id, id)))
    .returning();
  if (!row) throw new NotFoundError("sandbox object", id);
  return row;
}

export interface ListSandboxObjectsInput {
  service?: SandboxService;
  kinds?: string[];
  parentExternalId?: string;
  limit?: number;
}

/** Newest first; scoped to the workspace. */
export async function listSandboxObjects(ctx: DomainContext, input: ListSandboxObjectsInput = {}): Promise<SandboxObject[]> {
  const filters: (SQL | undefined)[] = [
    eq(sandboxObjects.workspaceId, ctx.workspaceId),
    input.service ? eq(sandboxObjects.service, input.service) : undefined,
    input.kinds?.length ? inArray(sandboxObjects.kind, input.kinds) : undefined,
    input.parentExternalId ? eq(sandboxObjects.parentExternalId, input.parentExternalId) : undefined,
  ];
  return ctx.db
    .select()
    .from(sandboxObjects)
    .where(and(...filters))
    .orderBy(desc(sandboxObjects.createdAt), desc(sandboxObjects.id))
    .limit(pageSize(input.limit));
}

/** The outbox a person inspects: `event-planner sandbox outbox --kind sms` and the web UI. */
export const OUTBOX_KINDS = {
  sms: { service: "twilio", kinds: ["sms"] },
  slack: { service: "slack", kinds: ["message"] },
  payment: { service: "stripe", kinds: ["payment", "refund", "invoice", "payment_link", "customer"] },
  calendar: { service: "calendar", kinds: ["event"] },
  doc: { service: "gdrive", kinds: ["document", "permission"] },
} as const satisfies Record<string, { service: SandboxService; kinds: readonly string[] }>;
export type OutboxKind = keyof typeof OUTBOX_KINDS;

export async function listOutbox(ctx: DomainContext, kind?: OutboxKind, limit?: number): Promise<SandboxObject[]> {
  if (!kind) return listSandboxObjects(ctx, { limit });
  const { service, kinds } = OUTBOX_KINDS[kind];
  return listSandboxObjects(ctx, { service, kinds: [...kinds], limit });
}
