import { z } from "zod";
import { getEvent } from "../../../domain/events.js";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../../../domain/scope.js";
import { MAX_TASKS_PER_CALL, createTasks, listTasks, updateTask } from "../../../domain/tasks.js";
import { TASK_STATUSES, type Event, type Task } from "../../../drizzle/schema/index.js";
import { AppError } from "../../../lib/errors.js";
import { uuid } from "../../../lib/formats.js";
import { calendarDaysBetween, localHourDaysBefore } from "../../../lib/time.js";
import { defineTool } from "../../host/tool.js";
import { instantOrNull, instantOutput, isoDateTime } from "../present.js";

/** A relative task falls due at the start of the working day, in the event's own zone. */
const DUE_HOUR_LOCAL = 9;
const MAX_DAYS_BEFORE_EVENT = 730;

export const taskOutput = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
  assignee: z.string().nullable(),
  notes: z.string().nullable(),
  dueAt: instantOutput.nullable(),
  daysBeforeEvent: z.number().int().nullable().describe("calendar days from dueAt to the event's start date in its zone (negative: after the event); null without both dates"),
  completedAt: instantOutput.nullable(),
  position: z.number().int().describe("order within the undated checklist"),
});

export function presentTask(task: Task, event: Pick<Event, "startsAt" | "timeZone">): z.infer<typeof taskOutput> {
  return {
    id: task.id,
    title: task.title,
    status: task.status,
    assignee: task.assignee,
    notes: task.notes,
    dueAt: instantOrNull(task.dueAt, event.timeZone),
    daysBeforeEvent: task.dueAt && event.startsAt ? calendarDaysBetween(task.dueAt, event.startsAt, event.timeZone) : null,
    completedAt: instantOrNull(task.completedAt, event.timeZone),
    position: task.position,
  };
}

const title = z.string().trim().min(1, { error: "must not be empty" }).max(200);
const notes = z.string().max(5000);
const assignee = z.string().trim().min(1, { error: "must not be empty" }).max(200).describe("who does it: a name, email or Slack handle");

const newTask = z
  .object({
    title: title.describe("imperative, e.g. 'Confirm catering numbers'"),
    notes: notes.optional(),
    assignee: assignee.optional(),
    dueAt: isoDateTime.optional().describe("absolute deadline; give this or daysBeforeEvent"),
    daysBeforeEvent: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number of days" })
      .min(0, { error: "must not be negative" })
      .max(MAX_DAYS_BEFORE_EVENT, { error: `must be at most ${MAX_DAYS_BEFORE_EVENT}` })
      .optional()
      .describe("due at 09:00 local time this many days before the event's start date; give this or dueAt"),
  })
  .strict()
  .refine((task) => task.dueAt === undefined || task.daysBeforeEvent === undefined, { path: ["daysBeforeEvent"], error: "give either dueAt or daysBeforeEvent, not both" })
  .refine((task) => task.dueAt !== undefined || task.daysBeforeEvent !== undefined, { path: ["dueAt"], error: "give dueAt or daysBeforeEvent" });

const eventId = { eventId: uuid.describe("id returned by create_event or list_events") };

export const taskTools = [
  defineTool({
    name: "add_tasks",
    title: "Add tasks to the timeline",
    description:
      "Add up to 200 tasks to an event's timeline, all or none. Give each either dueAt or daysBeforeEvent (09:00 local on that day before the event's start, which the event must already have). Returns the tasks with due dates in UTC and the event's local time.",
    input: {
      ...eventId,
      tasks: z
        .array(newTask)
        .min(1, { error: "must list at least one task" })
        .max(MAX_TASKS_PER_CALL, { error: `must list at most ${MAX_TASKS_PER_CALL} tasks per call` }),
    },
    output: { count: z.number().int(), tasks: z.array(taskOutput) },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { eventId: id, tasks }) => {
      const event = await getEvent(ctx, id);
      const values = tasks.map(({ daysBeforeEvent, ...task }, index) => {
        if (daysBeforeEvent === undefined) return task;
        if (!event.startsAt) {
          const field = `tasks.${index}.daysBeforeEvent`;
          throw new AppError("invalid_state", `${field}: the event has no start date yet; set startsAt with update_event, or give dueAt instead`, { field });
        }
        return { ...task, dueAt: localHourDaysBefore(event.startsAt, event.timeZone, daysBeforeEvent, DUE_HOUR_LOCAL) };
      });
      const created = await createTasks(ctx, event.id, values);
      return { count: created.length, tasks: created.map((task) => presentTask(task, event)) };
    },
  }),
  defineTool({
    name: "update_task",
    title: "Update task",
    description:
      "Change a task: mark it in_progress, done or cancelled, rename it, move its deadline, reassign it or edit its notes. Only the fields given change; null clears dueAt, assignee or notes. Returns the task.",
    input: {
      taskId: uuid.describe("id from add_tasks or list_tasks"),
      status: z.enum(TASK_STATUSES).optional(),
      title: title.optional(),
      dueAt: isoDateTime.nullable().optional(),
      assignee: assignee.nullable().optional(),
      notes: notes.nullable().optional(),
    },
    output: { task: taskOutput },
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: true,
    handler: async (ctx, { taskId, ...patch }) => {
      const task = await updateTask(ctx, taskId, patch);
      return { task: presentTask(task, await getEvent(ctx, task.eventId)) };
    },
  }),
  defineTool({
    name: "list_tasks",
    title: "List tasks",
    description:
      "An event's timeline: dated tasks by due date, then the undated checklist, optionally one status only. Each due date is given in UTC and the event's local time, with its days before the event. Use it to see what is left to do.",
    input: {
      ...eventId,
      status: z.enum(TASK_STATUSES).optional(),
      limit: z.number().int().min(1).max(MAX_PAGE_SIZE).optional().describe(`default ${DEFAULT_PAGE_SIZE}, at most ${MAX_PAGE_SIZE}`),
    },
    output: {
      eventStartsAt: instantOutput.nullable(),
      tasks: z.array(taskOutput),
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    sideEffect: false,
    handler: async (ctx, input) => {
      const event = await getEvent(ctx, input.eventId);
      const tasks = await listTasks(ctx, input);
      return { eventStartsAt: instantOrNull(event.startsAt, event.timeZone), tasks: tasks.map((task) => presentTask(task, event)) };
    },
  }),
];
