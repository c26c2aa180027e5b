import { expect, it } from "vitest";
import { describeEachDriver } from "../test/db.js";
import { newWorkspaceContext } from "../test/context.js";
import type { DomainContext } from "./context.js";
import { createEvent } from "./events.js";
import { createTasks, deleteTask, getTask, listTasks, updateTask, type NewTaskInput } from "./tasks.js";

async function eventFor(ctx: DomainContext) {
  return createEvent(ctx, { title: "Team offsite", kind: "offsite", city: "Lisbon", timeZone: "Europe/Lisbon", headcount: 40, currency: "EUR" });
}

describeEachDriver("tasks", (t) => {
  it("creates a checklist in order and reads tasks back", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const created = await createTasks(ctx, event.id, [
      { title: "Book venue", dueAt: new Date("2027-01-15T12:00:00Z"), assignee: "maria" },
      { title: "Order catering", notes: "vegetarian-friendly" },
      { title: "Send invitations", dueAt: "2027-01-20T09:00:00Z" },
    ]);
    expect(created.map((task) => [task.title, task.position, task.status, task.completedAt])).toEqual([
      ["Book venue", 0, "todo", null],
      ["Order catering", 1, "todo", null],
      ["Send invitations", 2, "todo", null],
    ]);
    expect(created[2]!.dueAt?.toISOString()).toBe("2027-01-20T09:00:00.000Z");
    expect(await getTask(ctx, created[1]!.id)).toEqual(created[1]);

    // A later batch goes after the existing checklist unless it says where.
    const more = await createTasks(ctx, event.id, [{ title: "Print badges" }, { title: "Welcome pack", position: 0 }]);
    expect(more.map((task) => task.position)).toEqual([3, 0]);
  });

  it("lists by due date with undated tasks last, then by position, and filters by status", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const tasks: NewTaskInput[] = [
      { title: "Undated second", position: 2 },
      { title: "Due later", dueAt: new Date("2027-02-01T00:00:00Z"), position: 9 },
      { title: "Undated first", position: 1 },
      { title: "Due soon", dueAt: new Date("2027-01-01T00:00:00Z"), position: 5 },
      { title: "Due soon, earlier position", dueAt: new Date("2027-01-01T00:00:00Z"), position: 4 },
    ];
    const created = await createTasks(ctx, event.id, tasks);
    expect((await listTasks(ctx, { eventId: event.id })).map((task) => task.title)).toEqual([
      "Due soon, earlier position",
      "Due soon",
      "Due later",
      "Undated first",
      "Undated second",
    ]);
    await updateTask(ctx, created[0]!.id, { status: "done" });
    expect((await listTasks(ctx, { eventId: event.id, status: "done" })).map((task) => task.title)).toEqual(["Undated second"]);
    expect(await listTasks(ctx, { eventId: event.id, status: "todo", limit: 2 })).toHaveLength(2);
  });

  it("stamps completedAt when a task is done and clears it when it is reopened", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [task] = await createTasks(ctx, event.id, [{ title: "Sign venue contract" }]);
    const started = await updateTask(ctx, task!.id, { status: "in_progress", assignee: "joao" });
    expect(started).toMatchObject({ status: "in_progress", assignee: "joao", completedAt: null });

    const done = await updateTask(ctx, task!.id, { status: "done" });
    expect(done.status).toBe("done");
    expect(done.completedAt).toBeInstanceOf(Date);

    // Editing or re-saving a done task keeps when it was completed.
    const edited = await updateTask(ctx, task!.id, { status: "done", notes: "signed copy in Drive" });
    expect(edited.completedAt?.getTime()).toBe(done.completedAt?.getTime());
    expect((await updateTask(ctx, task!.id, { title: "Sign the venue contract" })).completedAt?.getTime()).toBe(done.completedAt?.getTime());

    const reopened = await updateTask(ctx, task!.id, { status: "todo" });
    expect(reopened).toMatchObject({ status: "todo", completedAt: null });
    expect(await updateTask(ctx, task!.id, {})).toMatchObject({ id: task!.id, status: "todo" });
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    await expect(createTasks(ctx, event.id, [{ title: "ok" }, { title: "   " }])).rejects.toMatchObject({ code: "validation_failed", details: { field: "tasks.1.title" } });
    await expect(createTasks(ctx, event.id, [{ title: "ok", position: -1 }])).rejects.toMatchObject({ details: { field: "tasks.0.position" } });
    await expect(createTasks(ctx, event.id, [{ title: "ok", dueAt: "next tuesday" }])).rejects.toMatchObject({ details: { field: "tasks.0.dueAt" } });
    await expect(createTasks(ctx, event.id, [{ title: "ok", status: "done" } as NewTaskInput])).rejects.toMatchObject({ code: "validation_failed" });
    await expect(createTasks(ctx, event.id, [])).rejects.toMatchObject({ details: { field: "tasks" } });
    const [task] = await createTasks(ctx, event.id, [{ title: "Real task" }]);
    await expect(updateTask(ctx, task!.id, { title: "" })).rejects.toMatchObject({ details: { field: "title" } });
    await expect(updateTask(ctx, task!.id, { status: "finished" } as unknown as Parameters<typeof updateTask>[2])).rejects.toMatchObject({ details: { field: "status" } });
    await expect(updateTask(ctx, task!.id, { completedAt: new Date() } as Parameters<typeof updateTask>[2])).rejects.toMatchObject({ code: "validation_failed" });
    await expect(getTask(ctx, "not-a-uuid")).rejects.toMatchObject({ code: "validation_failed" });
    expect((await listTasks(ctx, { eventId: event.id })).map((x) => x.title)).toEqual(["Real task"]);
  });

  it("deletes a task", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [task] = await createTasks(ctx, event.id, [{ title: "Temporary" }]);
    expect((await deleteTask(ctx, task!.id)).id).toBe(task!.id);
    await expect(getTask(ctx, task!.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteTask(ctx, task!.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("never shows or lets workspace A touch workspace B's tasks", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const eventA = await eventFor(a);
    const eventB = await eventFor(b);
    await createTasks(a, eventA.id, [{ title: "Mine" }]);
    const [theirs] = await createTasks(b, eventB.id, [{ title: "Theirs" }]);

    expect((await listTasks(a, { eventId: eventA.id })).map((task) => task.title)).toEqual(["Mine"]);
    await expect(listTasks(a, { eventId: eventB.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(createTasks(a, eventB.id, [{ title: "Sneaky" }])).rejects.toMatchObject({ code: "not_found" });
    await expect(getTask(a, theirs!.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(updateTask(a, theirs!.id, { status: "done" })).rejects.toMatchObject({ code: "not_found" });
    await expect(deleteTask(a, theirs!.id)).rejects.toMatchObject({ code: "not_found" });

    expect(await getTask(b, theirs!.id)).toMatchObject({ title: "Theirs", status: "todo", completedAt: null });
    expect((await listTasks(b, { eventId: eventB.id })).map((task) => task.title)).toEqual(["Theirs"]);
  });
});
