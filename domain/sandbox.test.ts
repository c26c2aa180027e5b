import { expect, it } from "vitest";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import { createSandboxObject, findSandboxObject, listOutbox, listSandboxObjects, updateSandboxObject } from "./sandbox.js";

describeEachDriver("sandbox objects", (t) => {
  it("records an object once per idempotency key and lists it in the outbox", async () => {
    const ctx = await newWorkspaceContext(t().db);
    const sms = { service: "twilio", kind: "sms", externalId: "SM0001", idempotencyKey: "invite-ana", status: "queued", data: { to: "+351912345678", body: "You're invited" } } as const;
    const first = await createSandboxObject(ctx, sms);
    const again = await createSandboxObject(ctx, { ...sms, externalId: "SM0002" });
    expect(first.replay).toBe(false);
    expect(again).toMatchObject({ replay: true, object: { id: first.object.id, externalId: "SM0001" } });
    await updateSandboxObject(ctx, first.object.id, { status: "delivered" });
    expect((await listOutbox(ctx, "sms")).map((o) => [o.externalId, o.status])).toEqual([["SM0001", "delivered"]]);
    expect(await listOutbox(ctx, "payment")).toEqual([]);
    expect((await findSandboxObject(ctx, "twilio", "sms", "SM0001"))?.data).toEqual(sms.data);
  });

  it("keeps threads together and workspaces apart", async () => {
    const a = await newWorkspaceContext(t().db, "a");
    const b = await newWorkspaceContext(t().db, "b");
    await createSandboxObject(a, { service: "slack", kind: "message", externalId: "1.000100", status: "posted", data: { text: "root" } });
    await createSandboxObject(a, { service: "slack", kind: "message", externalId: "1.000200", parentExternalId: "1.000100", status: "posted", data: { text: "reply" } });
    expect((await listSandboxObjects(a, { service: "slack", parentExternalId: "1.000100" })).map((o) => o.data.text)).toEqual(["reply"]);
    expect(await listOutbox(b, "slack")).toEqual([]);
    expect(await findSandboxObject(b, "slack", "message", "1.000100")).toBeUndefined();
    const { object } = await createSandboxObject(a, { service: "stripe", kind: "payment", externalId: "pi_1", idempotencyKey: "k", status: "succeeded", data: {} });
    await expect(updateSandboxObject(b, object.id, { status: "refunded" })).rejects.toMatchObject({ code: "not_found" });
  });
});
