import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { TASK_STATUSES, tasks, type Task } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { uuid } from "../lib/formats.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";
import { getEvent } from "./events.js";
import { ownedRow, pageSize } from "./scope.js";
import { createInsertSchema } from "./zod.js";

export const MAX_TASKS_PER_CALL = 200;

// Optional columns get whole schemas, not refine callbacks: drizzle-zod 0.8 types a callback's
// result as required even though at runtime it still makes the column optional.
const taskFields = createInsertSchema(tasks, {
  title: (s) => s.trim().min(1, { error: "must not be empty" }).max(200),
  notes: z.string().max(5000).nullish(),
  assignee: z.string().trim().min(1, { error: "must not be empty" }).max(200).nullish(),
  position: z.number().int({ error: "must be a whole number" }).min(0, { error: "must not be negative" }).max(1_000_000).optional(),
}).pick({ title: true, notes: true, dueAt: true, assignee: true, position: true, status: true });

export const newTaskInput = taskFields.omit({ status: true }).strict();
export type NewTaskInput = z.input<typeof newTaskInput>;

const createTasksInput = z.object({
  tasks: z
    .array(newTaskInput)
    .min(1, { error: "must list at least one task" })
    .max(MAX_TASKS_PER_CALL, { error: `must list at most ${MAX_TASKS_PER_CALL} tasks per call` }),
});

export const updateTaskInput = taskFields.partial().strict();
export type UpdateTaskInput = z.input<typeof updateTaskInput>;

export const listTasksInput = z
  .object({ eventId: uuid, status: z.enum(TASK_STATUSES).optional(), limit: z.number().int().positive().optional() })
  .strict();

/**
 * Add tasks to an event's checklist in one statement. Tasks without a position go after the
 * existing ones, in the order given, so a generated checklist keeps its order.
 */
export async function createTasks(ctx: DomainContext, eventId: string, input: NewTaskInput[]): Promise<Task[]> {
  const { tasks: batch } = parseInput(createTasksInput, { tasks: input });
  const event = await getEvent(ctx, eventId);
  const [last] = await ctx.db
    .select({ position: sql<number>`coalesce(max(${tasks.position}), -1)::int`.mapWith(Number) })
    .from(tasks)
    .where(and(eq(tasks.workspaceId, ctx.workspaceId), eq(tasks.eventId, event.id)));
  const next = (last?.position ?? -1) + 1;
  return ctx.db
    .insert(tasks)
    .values(batch.map((task, index) => ({ ...task, position: task.position ?? next + index, workspaceId: ctx.workspaceId, eventId: event.id })))
    .returning();
}

export async function getTask(ctx: DomainContext, id: string): Promise<Task> {
  const [row] = await ctx.db.select().from(tasks).where(ownedRow(tasks, ctx, parseInput(uuid, id))).limit(1);
  if (!row) throw new NotFoundError("task", id);
  return row;
}

/** The event's timeline: dated tasks first by due date, then the undated checklist by position. */
export async function listTasks(ctx: DomainContext, input: z.input<typeof listTasksInput>): Promise<Task[]> {
  const { eventId, status, limit } = parseInput(listTasksInput, input);
  await getEvent(ctx, eventId);
  return ctx.db
    .select()
    .from(tasks)
    .where(and(eq(tasks.workspaceId, ctx.workspaceId), eq(tasks.eventId, eventId), status ? eq(tasks.status, status) : undefined))
    .orderBy(sql`${tasks.dueAt} asc nulls last`, asc(tasks.position), asc(tasks.createdAt), asc(tasks.id))
    .limit(pageSize(limit));
}

/**
 * Patch a task. completedAt follows the status in the same statement (the table's
 * tasks_completed_when_done check requires it): becoming done stamps it, re-saving a done task
 * keeps the original time, and leaving done clears it.
 */
export async function updateTask(ctx: DomainContext, id: string, patch: UpdateTaskInput): Promise<Task> {
  const { status, ...values } = parseInput(updateTaskInput, patch);
  // Drizzle refuses an update with nothing to set; an empty patch is a no-op, not an error.
  if (status === undefined && Object.keys(values).length === 0) return getTask(ctx, id);
  const completion = status === undefined ? {} : { status, completedAt: status === "done" ? sql`coalesce(${tasks.completedAt}, now())` : null };
  const [row] = await ctx.db
    .update(tasks)
    .set({ ...values, ...completion })
    .where(ownedRow(tasks, ctx, parseInput(uuid, id)))
    .returning();
  if (!row) throw new NotFoundError("task", id);
  return row;
}

export async function deleteTask(ctx: DomainContext, id: string): Promise<Task> {
  const [row] = await ctx.db.delete(tasks).where(ownedRow(tasks, ctx, parseInput(uuid, id))).returning();
  if (!row) throw new NotFoundError("task", id);
  return row;
}
