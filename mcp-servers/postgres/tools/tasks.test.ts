import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, it } from "vitest";
import type { DomainContext } from "../../../domain/context.js";
import { describeEachDriver } from "../../../test/db.js";
import { twoWorkspacesWithEvents } from "../../../test/fixtures.js";
import { callError, callOk } from "../../host/testing.js";
import { connectPostgresTools, createEventThroughTools } from "../testing.js";
import { taskTools } from "./tasks.js";

// Built here rather than taken from server.ts so the suite does not depend on how the server lists its tools.

// Lisbon moves to summer time (WET → WEST) on Sunday 2027-03-28; the event starts after it.
const offsite = { title: "Engineering offsite", kind: "offsite", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", startsAt: "2027-03-30T08:00:00Z", headcount: 40, currency: "EUR" };

interface TaskView {
  id: string;
  title: string;
  status: string;
  assignee: string | null;
  notes: string | null;
  dueAt: { utc: string; local: string; timeZone: string } | null;
  daysBeforeEvent: number | null;
  completedAt: { utc: string } | null;
}

describeEachDriver("postgres MCP: task tools", (t) => {
  const connect = (existing?: DomainContext) => connectPostgresTools(t(), existing);
  const eventIn = (client: Client, key: string, extra: Record<string, unknown> = {}) => createEventThroughTools(client, { ...offsite, ...extra }, key);

  it("puts relative tasks at 09:00 local on the right day across a DST change", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-dst-lisbon");
    const { count, tasks } = await callOk<{ count: number; tasks: TaskView[] }>(client, "add_tasks", {
      eventId,
      tasks: [
        { title: "Send final numbers to caterer", daysBeforeEvent: 7, assignee: "maria" },
        { title: "Print badges", daysBeforeEvent: 1 },
        { title: "Book flights", daysBeforeEvent: 30, notes: "economy, refundable" },
        { title: "Welcome desk", daysBeforeEvent: 0 },
        { title: "Sign venue contract", dueAt: "2027-03-20T12:00:00+01:00" },
      ],
      idempotency_key: "timeline-lisbon",
    });
    expect(count).toBe(5);
    expect(tasks.map((task) => [task.title, task.dueAt?.utc, task.dueAt?.local, task.daysBeforeEvent])).toEqual([
      // Before the change Lisbon is UTC+0, so 09:00 local is 09:00Z …
      ["Send final numbers to caterer", "2027-03-23T09:00:00.000Z", "2027-03-23 09:00", 7],
      // … after it UTC+1, so 09:00 local is 08:00Z: a fixed 24-hour step would land an hour off.
      ["Print badges", "2027-03-29T08:00:00.000Z", "2027-03-29 09:00", 1],
      ["Book flights", "2027-02-28T09:00:00.000Z", "2027-02-28 09:00", 30],
      ["Welcome desk", "2027-03-30T08:00:00.000Z", "2027-03-30 09:00", 0],
      ["Sign venue contract", "2027-03-20T11:00:00.000Z", "2027-03-20 11:00", 10],
    ]);
    expect(tasks[0]).toMatchObject({ status: "todo", assignee: "maria", notes: null, completedAt: null, dueAt: { timeZone: "Europe/Lisbon" } });
    expect(tasks[2]!.notes).toBe("economy, refundable");

    const listed = await callOk<{ eventStartsAt: { local: string }; tasks: TaskView[] }>(client, "list_tasks", { eventId });
    expect(listed.eventStartsAt.local).toBe("2027-03-30 09:00");
    expect(listed.tasks.map((task) => [task.title, task.daysBeforeEvent])).toEqual([
      ["Book flights", 30],
      ["Sign venue contract", 10],
      ["Send final numbers to caterer", 7],
      ["Print badges", 1],
      ["Welcome desk", 0],
    ]);
    await close();
  });

  it("counts days on the event's local calendar, not the UTC one", async () => {
    const { client, close } = await connect();
    // 03:00Z on the 15th is 20:00 on the 14th in Los Angeles, the day US summer time begins.
    const eventId = await eventIn(client, "event-dst-la", { city: "Los Angeles", countryCode: "US", timeZone: "America/Los_Angeles", startsAt: "2027-03-15T03:00:00Z", currency: "USD" });
    const { tasks } = await callOk<{ tasks: TaskView[] }>(client, "add_tasks", { eventId, tasks: [{ title: "Final walkthrough", daysBeforeEvent: 1 }], idempotency_key: "timeline-la" });
    expect(tasks[0]!.dueAt).toEqual({ utc: "2027-03-13T17:00:00.000Z", local: "2027-03-13 09:00", timeZone: "America/Los_Angeles" });
    expect(tasks[0]!.daysBeforeEvent).toBe(1);
    await close();
  });

  it("adds once for a repeated idempotency key", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-task-replay");
    const call = { eventId, tasks: [{ title: "Book venue", daysBeforeEvent: 60 }], idempotency_key: "add-tasks-same" };
    const first = await callOk(client, "add_tasks", call);
    expect(await callOk(client, "add_tasks", call)).toEqual(first);
    expect((await callOk<{ tasks: TaskView[] }>(client, "list_tasks", { eventId })).tasks).toHaveLength(1);
    await close();
  });

  it("answers bad tasks with a tool error naming the field, and adds none of the batch", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-task-bad");
    const add = (tasks: unknown[], key: string) => callError(client, "add_tasks", { eventId, tasks, idempotency_key: key });
    expect(await add([{ title: "Both", dueAt: "2027-03-01T09:00:00Z", daysBeforeEvent: 3 }], "both-dates")).toMatch(/either dueAt or daysBeforeEvent.*tasks\[0\]\.daysBeforeEvent/);
    expect(await add([{ title: "Fine", daysBeforeEvent: 3 }, { title: "Neither" }], "no-dates")).toMatch(/give dueAt or daysBeforeEvent.*tasks\[1\]\.dueAt/);
    expect(await add([{ title: "Too early", daysBeforeEvent: 731 }], "too-early")).toMatch(/at most 730.*tasks\[0\]\.daysBeforeEvent/);
    expect(await add([{ title: "Half a day", daysBeforeEvent: 1.5 }], "half-day")).toMatch(/whole number.*tasks\[0\]\.daysBeforeEvent/);
    expect(await add([{ title: "After", daysBeforeEvent: -1 }], "negative-days")).toMatch(/tasks\[0\]\.daysBeforeEvent/);
    expect(await add([{ title: "No offset", dueAt: "2027-03-01T09:00:00" }], "no-offset")).toMatch(/offset.*tasks\[0\]\.dueAt/);
    expect(await add([{ title: "  ", daysBeforeEvent: 2 }], "blank-title")).toMatch(/tasks\[0\]\.title/);
    expect(await add([], "no-tasks")).toMatch(/at least one task/);

    const undated = await eventIn(client, "event-no-start", { startsAt: undefined });
    const noStart = await callError(client, "add_tasks", {
      eventId: undated,
      tasks: [{ title: "Sign contract", dueAt: "2027-03-01T09:00:00Z" }, { title: "Print badges", daysBeforeEvent: 1 }],
      idempotency_key: "no-start-date",
    });
    expect(noStart).toMatch(/^invalid_state: tasks\.1\.daysBeforeEvent: the event has no start date yet/);
    expect((await callOk<{ tasks: TaskView[] }>(client, "list_tasks", { eventId: undated })).tasks).toEqual([]);
    // Once the event has a date, the same key (the failed call left no trace) works.
    await callOk(client, "update_event", { eventId: undated, startsAt: "2027-03-30T08:00:00Z", idempotency_key: "give-it-a-date" });
    const { tasks } = await callOk<{ tasks: TaskView[] }>(client, "add_tasks", { eventId: undated, tasks: [{ title: "Print badges", daysBeforeEvent: 1 }], idempotency_key: "no-start-date" });
    expect(tasks[0]!.dueAt?.local).toBe("2027-03-29 09:00");
    await close();
  });

  it("updates a task's status, deadline and assignee, and replays a repeated update", async () => {
    const { client, close } = await connect();
    const eventId = await eventIn(client, "event-task-update");
    const { tasks } = await callOk<{ tasks: TaskView[] }>(client, "add_tasks", { eventId, tasks: [{ title: "Book venue", daysBeforeEvent: 60, assignee: "maria" }], idempotency_key: "add-for-update" });
    const taskId = tasks[0]!.id;

    const moved = await callOk<{ task: TaskView }>(client, "update_task", { taskId, dueAt: "2027-03-16T09:00:00+00:00", assignee: null, notes: "shortlist of three", idempotency_key: "move-venue-task" });
    expect(moved.task).toMatchObject({ title: "Book venue", assignee: null, notes: "shortlist of three", daysBeforeEvent: 14, dueAt: { local: "2027-03-16 09:00" } });

    const done = await callOk<{ task: TaskView }>(client, "update_task", { taskId, status: "done", idempotency_key: "venue-task-done" });
    expect(done.task.status).toBe("done");
    expect(done.task.completedAt?.utc).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await callOk(client, "update_task", { taskId, status: "done", idempotency_key: "venue-task-done" })).toEqual(done);

    const cleared = await callOk<{ task: TaskView }>(client, "update_task", { taskId, status: "todo", dueAt: null, idempotency_key: "reopen-venue-task" });
    expect(cleared.task).toMatchObject({ status: "todo", completedAt: null, dueAt: null, daysBeforeEvent: null });

    const open = await callOk<{ tasks: TaskView[] }>(client, "list_tasks", { eventId, status: "todo" });
    expect(open.tasks.map((task) => task.id)).toEqual([taskId]);
    expect((await callOk<{ tasks: TaskView[] }>(client, "list_tasks", { eventId, status: "done" })).tasks).toEqual([]);

    expect(await callError(client, "update_task", { taskId, status: "finished", idempotency_key: "bad-status-1" })).toMatch(/status/);
    expect(await callError(client, "update_task", { taskId, title: "", idempotency_key: "empty-title-1" })).toMatch(/title/);
    expect(await callError(client, "update_task", { taskId, dueAt: "next tuesday", idempotency_key: "bad-due-at-1" })).toMatch(/dueAt/);
    expect(await callError(client, "update_task", { taskId: "task-1", status: "done", idempotency_key: "bad-task-id" })).toMatch(/taskId/);
    expect(await callError(client, "list_tasks", { eventId, status: "blocked" })).toMatch(/status/);
    await close();
  });

  it("keeps another workspace's tasks out of reach", async () => {
    const { a, b, eventA } = await twoWorkspacesWithEvents(t().db);
    const asA = await connect(a);
    const asB = await connect(b);
    const { tasks } = await callOk<{ tasks: TaskView[] }>(asA.client, "add_tasks", { eventId: eventA.id, tasks: [{ title: "Book venue", dueAt: "2027-01-15T09:00:00Z" }], idempotency_key: "a-adds-task" });
    const taskId = tasks[0]!.id;

    expect(await callError(asB.client, "list_tasks", { eventId: eventA.id })).toMatch(/^not_found: event/);
    expect(await callError(asB.client, "add_tasks", { eventId: eventA.id, tasks: [{ title: "Sneak in", dueAt: "2027-01-15T09:00:00Z" }], idempotency_key: "b-adds-to-a" })).toMatch(/^not_found: event/);
    expect(await callError(asB.client, "update_task", { taskId, status: "cancelled", idempotency_key: "b-cancels-a" })).toMatch(/^not_found: task/);

    const listed = await callOk<{ tasks: TaskView[] }>(asA.client, "list_tasks", { eventId: eventA.id });
    expect(listed.tasks.map((task) => [task.title, task.status])).toEqual([["Book venue", "todo"]]);
    await asA.close();
    await asB.close();
  });

  it("declares every task tool as closed-world and non-destructive, read-only where it only reads", async () => {
    const { client, close } = await connect();
    const { tools } = await client.listTools();
    const hints = Object.fromEntries(tools.filter((tool) => taskTools.some((x) => x.name === tool.name)).map((tool) => [tool.name, { ...tool.annotations, title: undefined }]));
    const write = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false, title: undefined };
    expect(hints).toEqual({ add_tasks: write, update_task: write, list_tasks: { ...write, readOnlyHint: true } });
    await close();
  });
});
