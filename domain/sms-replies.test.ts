import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newWorkspaceContext } from "../test/context.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { LISBON_OFFSITE } from "../test/fixtures.js";
import type { DomainContext } from "./context.js";
import { createConversation, listMessages } from "./conversations.js";
import { createEvent } from "./events.js";
import { addGuests, getGuest, markInvited } from "./guests.js";
import { listRuns } from "./runs.js";
import { createSandboxObject } from "./sandbox.js";
import { addGuestSmsNote, appendNote, handSmsReplyToAgent, MAX_GUEST_NOTES_LENGTH, routeInboundSms } from "./sms-replies.js";

describe("appendNote", () => {
  it("adds the new text on its own line after what was there", () => {
    expect(appendNote(null, "  Is there parking?  ")).toBe("Is there parking?");
    expect(appendNote("Is there parking?", "I'm vegan")).toBe("Is there parking?\nI'm vegan");
  });

  it("drops the oldest lines first when the notes would pass the limit", () => {
    const old = ["a".repeat(900), "b".repeat(900)].join("\n");
    const next = appendNote(old, "c".repeat(300));
    expect(next).toBe(`${"b".repeat(900)}\n${"c".repeat(300)}`);
    expect(appendNote(null, "d".repeat(MAX_GUEST_NOTES_LENGTH + 10))).toHaveLength(MAX_GUEST_NOTES_LENGTH);
  });
});

// Postgres only: the routing query runs on PGlite as well, but PGlite's start-up alone would take most of this file's time budget.
describe("sms replies", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase("postgres");
  });
  afterAll(async () => {
    await database.drop();
  });
  const t = () => database;

  let sequence = 0;
  const newPhone = () => `+35196${String(Date.now() % 100_000).padStart(5, "0")}${String(++sequence).padStart(2, "0")}`;

  async function guestIn(ctx: DomainContext, phone: string, options: { invited?: boolean; conversationId?: string } = {}) {
    const event = await createEvent(ctx, { ...LISBON_OFFSITE, ...(options.conversationId ? { conversationId: options.conversationId } : {}) });
    const [guest] = await addGuests(ctx, event.id, [{ name: "Rui", phone }]);
    if (!guest) throw new Error("no guest");
    if (options.invited) await markInvited(ctx, [guest.id]);
    return guest;
  }

  it("routes a number to the guest contacted most recently, in whichever workspace, and to nobody when no guest has it", async () => {
    const phone = newPhone();
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const neverContacted = await guestIn(b, phone);
    expect((await routeInboundSms(t().db, phone))?.guest.id).toBe(neverContacted.id);
    const invited = await guestIn(a, phone, { invited: true });
    expect(await routeInboundSms(t().db, phone)).toMatchObject({ workspaceId: a.workspaceId, guest: { id: invited.id } });
    // Our later SMS to the number from workspace B makes B's guest the one it answers.
    await createSandboxObject(b, { service: "twilio", kind: "sms", externalId: `SM${randomBytes(16).toString("hex")}`, parentExternalId: phone, status: "queued", data: {} });
    expect(await routeInboundSms(t().db, phone)).toMatchObject({ workspaceId: b.workspaceId, guest: { id: neverContacted.id } });
    expect(await routeInboundSms(t().db, newPhone())).toBeUndefined();
  });

  it("appends a reply to the guest's notes", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const guest = await guestIn(ctx, newPhone());
    await addGuestSmsNote(ctx, guest.id, "Running late");
    await addGuestSmsNote(ctx, guest.id, "Bringing slides");
    expect((await getGuest(ctx, guest.id)).notes).toBe("Running late\nBringing slides");
  });

  it("hands a reply to the agent once, in the event's conversation, and not at all without one", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const conversation = await createConversation(ctx, {});
    const phone = newPhone();
    const guest = await guestIn(ctx, phone, { conversationId: conversation.id });
    const sender = await routeInboundSms(t().db, phone);
    if (!sender) throw new Error("not routed");
    const first = await handSmsReplyToAgent(ctx, { sender, messageSid: "SM1", from: phone });
    const again = await handSmsReplyToAgent(ctx, { sender, messageSid: "SM1", from: phone });
    expect(again?.id).toBe(first?.id);
    expect(await listRuns(ctx, { conversationId: conversation.id })).toHaveLength(1);
    expect((await listMessages(ctx, conversation.id)).map((m) => m.content)).toEqual([expect.stringContaining(`Guest ${guest.id}`) as string]);

    const loose = await guestIn(ctx, newPhone());
    const looseSender = { workspaceId: ctx.workspaceId, guest: loose, event: { id: loose.eventId, conversationId: null } };
    expect(await handSmsReplyToAgent(ctx, { sender: looseSender, messageSid: "SM2", from: "+351960000000" })).toBeUndefined();
  });
});
