import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import {
  MAX_MESSAGE_LENGTH,
  addMessage,
  createConversation,
  ensureExternalConversation,
  findConversationByExternalRef,
  getConversation,
  getConversationThread,
  listConversations,
  listMessages,
  type AddMessageInput,
  type CreateConversationInput,
} from "./conversations.js";
import { createRun } from "./runs.js";

describeEachDriver("conversations", (t) => {
  it("creates a conversation with defaults and reads it back", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const plain = await createConversation(ctx);
    expect(plain).toMatchObject({ workspaceId: ctx.workspaceId, channel: "api", title: null, externalRef: null });
    const slack = await createConversation(ctx, { title: "  Lisbon offsite ", channel: "slack", externalRef: "C123:1700000000.000100" });
    expect(await getConversation(ctx, slack.id)).toMatchObject({ title: "Lisbon offsite", channel: "slack", externalRef: "C123:1700000000.000100" });
  });

  it("refuses bad input naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    await expect(createConversation(ctx, { title: "   " })).rejects.toMatchObject({ code: "validation_failed", details: { field: "title" } });
    await expect(createConversation(ctx, { channel: "fax" } as unknown as CreateConversationInput)).rejects.toMatchObject({ details: { field: "channel" } });
    await expect(createConversation(ctx, { workspaceId: randomUUID() } as CreateConversationInput)).rejects.toMatchObject({ code: "validation_failed" });
    await expect(getConversation(ctx, "not-a-uuid")).rejects.toMatchObject({ code: "validation_failed" });

    const conversation = await createConversation(ctx);
    await expect(addMessage(ctx, conversation.id, { role: "user", content: "  \n\t " })).rejects.toMatchObject({ code: "validation_failed", details: { field: "content" } });
    await expect(addMessage(ctx, conversation.id, { role: "user", content: "x".repeat(MAX_MESSAGE_LENGTH + 1) })).rejects.toMatchObject({ details: { field: "content" } });
    await expect(addMessage(ctx, conversation.id, { role: "system", content: "hi" } as unknown as AddMessageInput)).rejects.toMatchObject({ details: { field: "role" } });
    await expect(addMessage(ctx, conversation.id, { role: "user", content: "hi", runId: "run-1" })).rejects.toMatchObject({ details: { field: "runId" } });
    expect(await listMessages(ctx, conversation.id)).toEqual([]);

    const longest = await addMessage(ctx, conversation.id, { role: "user", content: ` ${"x".repeat(MAX_MESSAGE_LENGTH)} ` });
    expect(longest.content).toHaveLength(MAX_MESSAGE_LENGTH);
  });

  it("adds trimmed messages, lists them oldest first and bumps the conversation", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const older = await createConversation(ctx, { title: "older" });
    const newer = await createConversation(ctx, { title: "newer" });
    expect((await listConversations(ctx)).map((c) => c.id)).toEqual([newer.id, older.id]);

    const first = await addMessage(ctx, older.id, { role: "user", content: "  Plan a 2-day offsite in Lisbon  " });
    const second = await addMessage(ctx, older.id, { role: "assistant", content: "On it." });
    expect(first).toMatchObject({ conversationId: older.id, workspaceId: ctx.workspaceId, role: "user", content: "Plan a 2-day offsite in Lisbon", runId: null });
    expect((await listMessages(ctx, older.id)).map((m) => m.id)).toEqual([first.id, second.id]);

    const bumped = await getConversation(ctx, older.id);
    expect(bumped.updatedAt.getTime()).toBeGreaterThan(older.updatedAt.getTime());
    expect((await listConversations(ctx)).map((c) => c.id)).toEqual([older.id, newer.id]);
    expect(await listConversations(ctx, { limit: 1 })).toHaveLength(1);
  });

  it("finds a conversation by its external reference", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const ref = `C42:${randomUUID()}`;
    const conversation = await createConversation(ctx, { channel: "slack", externalRef: ref });
    expect((await findConversationByExternalRef(ctx, ref))?.id).toBe(conversation.id);
    expect(await findConversationByExternalRef(ctx, "C42:unknown")).toBeUndefined();
    await expect(findConversationByExternalRef(ctx, " ")).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("maps one outside thread to one conversation, even when its first two events arrive at once", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const ref = `C42:${randomUUID()}`;
    const [a, b] = await Promise.all([ensureExternalConversation(ctx, { channel: "slack", externalRef: ref, title: "Offsite" }), ensureExternalConversation(ctx, { channel: "slack", externalRef: ref })]);
    expect(a.id).toBe(b.id);
    expect(a).toMatchObject({ channel: "slack", externalRef: ref });
    const other = await newWorkspaceContext(t().db);
    expect((await ensureExternalConversation(other, { channel: "slack", externalRef: ref })).id).not.toBe(a.id);
  });

  it("returns the thread with messages and runs in creation order", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx, { title: "Wedding" });
    const ask = await addMessage(ctx, conversation.id, { role: "user", content: "Plan a wedding for 80 guests" });
    const { run: firstRun } = await createRun(ctx, { conversationId: conversation.id, triggerMessageId: ask.id });
    const answer = await addMessage(ctx, conversation.id, { role: "assistant", content: "Here is a plan", runId: firstRun.id });
    const follow = await addMessage(ctx, conversation.id, { role: "user", content: "Make it 100 guests" });
    const { run: secondRun } = await createRun(ctx, { conversationId: conversation.id, triggerMessageId: follow.id });

    const thread = await getConversationThread(ctx, conversation.id);
    expect(thread.id).toBe(conversation.id);
    expect(thread.messages.map((m) => m.id)).toEqual([ask.id, answer.id, follow.id]);
    expect(thread.messages[1]?.runId).toBe(firstRun.id);
    expect(thread.runs.map((r) => r.id)).toEqual([firstRun.id, secondRun.id]);

    const empty = await getConversationThread(ctx, (await createConversation(ctx)).id);
    expect(empty).toMatchObject({ messages: [], runs: [] });
  });

  it("refuses a message that names a run of another conversation", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const one = await createConversation(ctx);
    const other = await createConversation(ctx);
    const { run } = await createRun(ctx, { conversationId: other.id });
    await expect(addMessage(ctx, one.id, { role: "assistant", content: "hi", runId: run.id })).rejects.toMatchObject({ code: "not_found" });
    expect(await listMessages(ctx, one.id)).toEqual([]);
  });

  it("never shows or touches another workspace's conversations and messages", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const ref = `C1:${randomUUID()}`;
    const mine = await createConversation(a, { title: "mine" });
    const foreign = await createConversation(b, { title: "theirs", channel: "slack", externalRef: ref });
    const foreignMessage = await addMessage(b, foreign.id, { role: "user", content: "secret plans" });
    const { run: foreignRun } = await createRun(b, { conversationId: foreign.id });

    expect((await listConversations(a)).map((c) => c.id)).toEqual([mine.id]);
    await expect(getConversation(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getConversationThread(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(listMessages(a, foreign.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(addMessage(a, foreign.id, { role: "user", content: "intrusion" })).rejects.toMatchObject({ code: "not_found" });
    await expect(addMessage(a, mine.id, { role: "assistant", content: "hi", runId: foreignRun.id })).rejects.toMatchObject({ code: "not_found" });
    expect(await findConversationByExternalRef(a, ref)).toBeUndefined();

    expect((await listMessages(b, foreign.id)).map((m) => m.id)).toEqual([foreignMessage.id]);
    expect((await getConversationThread(b, foreign.id)).messages.map((m) => m.content)).toEqual(["secret plans"]);
    expect((await findConversationByExternalRef(b, ref))?.id).toBe(foreign.id);
    expect(await listMessages(a, mine.id)).toEqual([]);
  });
});
