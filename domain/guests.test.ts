import { expect, it } from "vitest";
import { describeEachDriver } from "../test/db.js";
import { newWorkspaceContext } from "../test/context.js";
import type { DomainContext } from "./context.js";
import { createEvent, type CreateEventInput } from "./events.js";
import { addGuests, findGuestsByPhone, getGuest, listGuests, markInvited, recordRsvp, removeGuest, rsvpCounts, updateGuest, type NewGuestInput } from "./guests.js";

const party: CreateEventInput = { title: "Summer party", kind: "party", city: "Porto", timeZone: "Europe/Lisbon", headcount: 30, currency: "EUR" };

const ana: NewGuestInput = { name: "Ana Silva", phone: "+351912345678", email: "Ana@Example.com", dietary: ["vegetarian"] };
const ben: NewGuestInput = { name: "Ben Ortiz", phone: "+14155550101" };
const chloe: NewGuestInput = { name: "Chloé Martin", email: "chloe@example.fr", dietary: ["Vegan", "nut allergy"], accessibility: ["wheelchair access"] };

async function eventFor(ctx: DomainContext, title = party.title) {
  return createEvent(ctx, { ...party, title });
}

describeEachDriver("guests", (t) => {
  it("adds a batch of guests with lower-cased emails and default RSVP state", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const added = await addGuests(ctx, event.id, [ana, ben, { ...chloe, plusOnes: 1, notes: "arrives late" }]);
    expect(added).toHaveLength(3);
    expect(added[0]).toMatchObject({ name: "Ana Silva", email: "ana@example.com", phone: "+351912345678", rsvpStatus: "not_invited", plusOnes: 0, dietary: ["vegetarian"], invitedAt: null, respondedAt: null });
    expect(added[1]).toMatchObject({ email: null, dietary: [], accessibility: [] });
    expect(added[2]).toMatchObject({ plusOnes: 1, notes: "arrives late", accessibility: ["wheelchair access"] });
    expect(await getGuest(ctx, added[0]!.id)).toEqual(added[0]);
    expect((await listGuests(ctx, { eventId: event.id })).map((g) => g.name)).toEqual(["Ana Silva", "Ben Ortiz", "Chloé Martin"]);
  });

  it("refuses invalid guests naming the field and index, and adds none of the batch", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    await expect(addGuests(ctx, event.id, [ana, { ...ben, phone: "+12" }])).rejects.toMatchObject({ code: "validation_failed", details: { field: "guests.1.phone" } });
    await expect(addGuests(ctx, event.id, [{ ...ana, email: "not-an-email" }])).rejects.toMatchObject({ details: { field: "guests.0.email" } });
    await expect(addGuests(ctx, event.id, [{ ...ana, plusOnes: -1 }])).rejects.toMatchObject({ details: { field: "guests.0.plusOnes" } });
    await expect(addGuests(ctx, event.id, [{ ...ana, plusOnes: 11 }])).rejects.toMatchObject({ details: { field: "guests.0.plusOnes" } });
    await expect(addGuests(ctx, event.id, [{ ...ana, name: "  " }])).rejects.toMatchObject({ details: { field: "guests.0.name" } });
    await expect(addGuests(ctx, event.id, [ana, { name: "No Contact" }])).rejects.toMatchObject({ details: { field: "guests.1.phone" } });
    await expect(addGuests(ctx, event.id, [{ ...ana, rsvpStatus: "accepted" } as NewGuestInput])).rejects.toMatchObject({ code: "validation_failed" });
    await expect(addGuests(ctx, event.id, [])).rejects.toMatchObject({ details: { field: "guests" } });
    const tooMany = Array.from({ length: 501 }, (_, i): NewGuestInput => ({ name: `Guest ${i}`, phone: `+1415555${String(i).padStart(4, "0")}` }));
    await expect(addGuests(ctx, event.id, tooMany)).rejects.toMatchObject({ details: { field: "guests" } });
    await expect(addGuests(ctx, "not-a-uuid", [ana])).rejects.toMatchObject({ code: "validation_failed" });
    expect(await listGuests(ctx, { eventId: event.id })).toEqual([]);
  });

  it("accepts the maximum batch of 500 in one call", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const batch = Array.from({ length: 500 }, (_, i): NewGuestInput => ({ name: `Guest ${i}`, phone: `+1415555${String(i).padStart(4, "0")}` }));
    expect(await addGuests(ctx, event.id, batch)).toHaveLength(500);
    expect((await rsvpCounts(ctx, event.id)).totalGuests).toBe(500);
  });

  it("refuses duplicate phones and emails within the event as conflicts naming the entry", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    await addGuests(ctx, event.id, [ana]);
    await expect(addGuests(ctx, event.id, [ben, chloe, { name: "Ana again", phone: "+351912345678" }])).rejects.toMatchObject({
      code: "conflict",
      details: { field: "guests.2.phone", index: 2 },
    });
    await expect(addGuests(ctx, event.id, [ben, { name: "Ana by email", email: "ANA@example.com" }])).rejects.toMatchObject({ code: "conflict", details: { field: "guests.1.email" } });
    await expect(addGuests(ctx, event.id, [ben, chloe, { name: "Ben twin", phone: ben.phone }])).rejects.toMatchObject({
      code: "conflict",
      details: { field: "guests.2.phone", duplicateOf: 0 },
    });
    // Nothing from the refused batches was kept.
    expect((await listGuests(ctx, { eventId: event.id })).map((g) => g.name)).toEqual(["Ana Silva"]);
    // The same person may be a guest of another event.
    const other = await eventFor(ctx, "Winter party");
    expect(await addGuests(ctx, other.id, [ana])).toHaveLength(1);
  });

  it("reports concurrent adds of the same phone as a conflict, keeping exactly one", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const results = await Promise.allSettled([addGuests(ctx, event.id, [ana]), addGuests(ctx, event.id, [{ name: "Ana twin", phone: ana.phone }])]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(1);
    expect(refused[0]?.reason).toMatchObject({ code: "conflict", details: { field: "guests.0.phone" } });
    expect(await findGuestsByPhone(ctx, ana.phone!)).toHaveLength(1);
  });

  it("updates a guest, keeping a contact and the per-event uniqueness", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [a, b] = await addGuests(ctx, event.id, [ana, ben]);
    const updated = await updateGuest(ctx, a!.id, { email: "ANA.SILVA@example.com", phone: null, dietary: ["vegan"] });
    expect(updated).toMatchObject({ email: "ana.silva@example.com", phone: null, dietary: ["vegan"], name: "Ana Silva" });
    await expect(updateGuest(ctx, b!.id, { phone: null })).rejects.toMatchObject({ code: "validation_failed", details: { field: "phone" } });
    await expect(updateGuest(ctx, b!.id, { email: "ana.silva@example.com" })).rejects.toMatchObject({ code: "conflict", details: { field: "email" } });
    await expect(updateGuest(ctx, b!.id, { phone: "+12" })).rejects.toMatchObject({ details: { field: "phone" } });
    await expect(updateGuest(ctx, b!.id, { plusOnes: 2.5 })).rejects.toMatchObject({ details: { field: "plusOnes" } });
    // Re-saving a guest's own phone is not a conflict with itself.
    expect(await updateGuest(ctx, b!.id, { phone: ben.phone, plusOnes: 2 })).toMatchObject({ phone: ben.phone, plusOnes: 2 });
    expect(await updateGuest(ctx, b!.id, {})).toMatchObject({ id: b!.id, plusOnes: 2 });
  });

  it("removes a guest", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [a] = await addGuests(ctx, event.id, [ana]);
    expect((await removeGuest(ctx, a!.id)).id).toBe(a!.id);
    await expect(getGuest(ctx, a!.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(removeGuest(ctx, a!.id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("runs the RSVP flow: invite once, answer, and count headcount and dietary needs", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [a, b, c, d] = await addGuests(ctx, event.id, [ana, ben, chloe, { name: "Dan Lee", phone: "+447700900123", dietary: ["Vegetarian"] }]);

    const invited = await markInvited(ctx, [a!.id, b!.id, c!.id]);
    expect(invited.map((g) => g.rsvpStatus)).toEqual(["invited", "invited", "invited"]);
    expect(invited.every((g) => g.invitedAt instanceof Date)).toBe(true);

    const accepted = await recordRsvp(ctx, a!.id, { status: "accepted", plusOnes: 2, notes: "Can't wait!" });
    expect(accepted).toMatchObject({ rsvpStatus: "accepted", plusOnes: 2, notes: "Can't wait!" });
    expect(accepted.respondedAt).toBeInstanceOf(Date);
    await recordRsvp(ctx, b!.id, { status: "declined" });
    await recordRsvp(ctx, c!.id, { status: "tentative" });
    await recordRsvp(ctx, c!.id, { status: "accepted", dietary: ["vegan", "Nut allergy"] });
    await recordRsvp(ctx, d!.id, { status: "accepted" });

    // Re-sending invitations never resets an answer; only still-uninvited guests change.
    expect(await markInvited(ctx, [a!.id, b!.id])).toEqual([]);
    expect((await getGuest(ctx, a!.id)).rsvpStatus).toBe("accepted");

    expect(await rsvpCounts(ctx, event.id)).toEqual({
      eventId: event.id,
      counts: { not_invited: 0, invited: 0, accepted: 3, declined: 1, tentative: 0 },
      totalGuests: 4,
      headcount: 3 + 2,
      dietary: [
        { need: "vegetarian", count: 2 },
        { need: "nut allergy", count: 1 },
        { need: "vegan", count: 1 },
      ],
    });
    expect((await listGuests(ctx, { eventId: event.id, rsvpStatus: "accepted" })).map((g) => g.name)).toEqual(["Ana Silva", "Chloé Martin", "Dan Lee"]);
    expect((await listGuests(ctx, { eventId: event.id, rsvpStatus: "declined" })).map((g) => g.name)).toEqual(["Ben Ortiz"]);
  });

  it("validates RSVP answers naming the field", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    const [a] = await addGuests(ctx, event.id, [ana]);
    await expect(recordRsvp(ctx, a!.id, { status: "invited" } as unknown as Parameters<typeof recordRsvp>[2])).rejects.toMatchObject({ details: { field: "status" } });
    await expect(recordRsvp(ctx, a!.id, { status: "accepted", plusOnes: -1 })).rejects.toMatchObject({ details: { field: "plusOnes" } });
    await expect(markInvited(ctx, ["nope"])).rejects.toMatchObject({ details: { field: "ids.0" } });
    expect((await getGuest(ctx, a!.id)).rsvpStatus).toBe("not_invited");
  });

  it("counts an event without guests as zeros", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const event = await eventFor(ctx);
    expect(await rsvpCounts(ctx, event.id)).toEqual({
      eventId: event.id,
      counts: { not_invited: 0, invited: 0, accepted: 0, declined: 0, tentative: 0 },
      totalGuests: 0,
      headcount: 0,
      dietary: [],
    });
  });

  it("finds the guests behind an inbound number, newest event first", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const older = await eventFor(ctx, "Spring party");
    const newer = await eventFor(ctx, "Autumn party");
    const [inOlder] = await addGuests(ctx, older.id, [ana]);
    const [inNewer] = await addGuests(ctx, newer.id, [{ ...ana, name: "Ana S." }, ben]);
    expect((await findGuestsByPhone(ctx, "+351912345678")).map((g) => g.id)).toEqual([inNewer!.id, inOlder!.id]);
    expect(await findGuestsByPhone(ctx, "+351900000000")).toEqual([]);
    await expect(findGuestsByPhone(ctx, "+12")).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("never shows or lets workspace A touch workspace B's guests", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    const eventA = await eventFor(a);
    const eventB = await eventFor(b);
    const [mine] = await addGuests(a, eventA.id, [ana]);
    const [theirs] = await addGuests(b, eventB.id, [ana, ben]);

    expect((await findGuestsByPhone(a, ana.phone!)).map((g) => g.id)).toEqual([mine!.id]);
    expect((await findGuestsByPhone(b, ana.phone!)).map((g) => g.id)).toEqual([theirs!.id]);
    expect(await findGuestsByPhone(a, ben.phone!)).toEqual([]);

    await expect(listGuests(a, { eventId: eventB.id })).rejects.toMatchObject({ code: "not_found" });
    await expect(addGuests(a, eventB.id, [chloe])).rejects.toMatchObject({ code: "not_found" });
    await expect(rsvpCounts(a, eventB.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(getGuest(a, theirs!.id)).rejects.toMatchObject({ code: "not_found" });
    await expect(updateGuest(a, theirs!.id, { name: "Hijacked" })).rejects.toMatchObject({ code: "not_found" });
    await expect(recordRsvp(a, theirs!.id, { status: "declined" })).rejects.toMatchObject({ code: "not_found" });
    await expect(markInvited(a, [mine!.id, theirs!.id])).rejects.toMatchObject({ code: "not_found" });
    await expect(removeGuest(a, theirs!.id)).rejects.toMatchObject({ code: "not_found" });

    // B's guest is untouched, and A's refused markInvited changed none of A's guests either.
    expect(await getGuest(b, theirs!.id)).toMatchObject({ name: "Ana Silva", rsvpStatus: "not_invited" });
    expect((await getGuest(a, mine!.id)).rsvpStatus).toBe("not_invited");
    expect((await listGuests(b, { eventId: eventB.id })).map((g) => g.id)).toContain(theirs!.id);
  });
});
