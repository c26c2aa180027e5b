import { randomUUID } from "node:crypto";
import { expect, it } from "vitest";
import type { WebhookProvider } from "../drizzle/schema/index.js";
import { newWorkspaceContext } from "../test/context.js";
import { describeEachDriver } from "../test/db.js";
import { listWebhookDeliveries, markWebhookDelivery, recordWebhookDelivery, type MarkWebhookDeliveryInput, type RecordWebhookDeliveryInput } from "./webhook-deliveries.js";

const inboundSms = (externalId = `SM${randomUUID().replaceAll("-", "")}`): RecordWebhookDeliveryInput => ({
  provider: "twilio",
  externalId,
  eventType: "sms.inbound",
  payload: { From: "+351912345678", Body: "YES" },
});

describeEachDriver("webhook deliveries", (t) => {
  it("records a delivery once and recognises a redelivery", async () => {
    const { db } = t();
    const first = await recordWebhookDelivery(db, inboundSms("SM-redelivered-1"));
    expect(first.duplicate).toBe(false);
    expect(first.delivery).toMatchObject({ provider: "twilio", externalId: "SM-redelivered-1", status: "received", workspaceId: null, processedAt: null, payload: { Body: "YES" } });

    const again = await recordWebhookDelivery(db, { ...inboundSms("SM-redelivered-1"), payload: { From: "+351912345678", Body: "YES", retry: 1 } });
    expect(again).toEqual({ delivery: first.delivery, duplicate: true, alreadyHandled: false });

    // Provider ids are only unique per provider.
    const stripe = await recordWebhookDelivery(db, { provider: "stripe", externalId: "SM-redelivered-1", eventType: "payment_intent.succeeded", payload: {} });
    expect(stripe.duplicate).toBe(false);
    expect(stripe.delivery.id).not.toBe(first.delivery.id);
  });

  it("records one delivery when redeliveries arrive concurrently", async () => {
    const { db } = t();
    const input = inboundSms();
    const results = await Promise.all(Array.from({ length: 6 }, () => recordWebhookDelivery(db, input)));
    expect(new Set(results.map((r) => r.delivery.id)).size).toBe(1);
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
  });

  it("marks how a delivery was handled and attributes it to a workspace", async () => {
    const { db } = t();
    const ctx = await newWorkspaceContext(db);
    const { delivery } = await recordWebhookDelivery(db, inboundSms());
    const failed = await markWebhookDelivery(db, delivery.id, { status: "failed", error: "unknown phone number" });
    expect(failed).toMatchObject({ status: "failed", error: "unknown phone number", workspaceId: null });
    expect(failed.processedAt).toBeInstanceOf(Date);

    const processed = await markWebhookDelivery(db, delivery.id, { status: "processed", workspaceId: ctx.workspaceId });
    expect(processed).toMatchObject({ status: "processed", error: null, workspaceId: ctx.workspaceId });
    expect((await markWebhookDelivery(db, delivery.id, { status: "ignored", workspaceId: ctx.workspaceId })).status).toBe("ignored");
    expect((await markWebhookDelivery(db, delivery.id, { status: "processed" })).workspaceId).toBe(ctx.workspaceId);
    // Once handled, a redelivery is acknowledged and not acted on again.
    const redelivered = await recordWebhookDelivery(db, { provider: delivery.provider, externalId: delivery.externalId, eventType: delivery.eventType, payload: {} });
    expect(redelivered).toMatchObject({ duplicate: true, alreadyHandled: true });

    const other = await newWorkspaceContext(db, "other");
    await expect(markWebhookDelivery(db, delivery.id, { status: "processed", workspaceId: other.workspaceId })).rejects.toMatchObject({ code: "conflict", details: { field: "workspaceId" } });
    await expect(markWebhookDelivery(db, randomUUID(), { status: "processed" })).rejects.toMatchObject({ code: "not_found" });

    const routedAtOnce = await recordWebhookDelivery(db, { ...inboundSms(), workspaceId: ctx.workspaceId });
    expect(routedAtOnce.delivery.workspaceId).toBe(ctx.workspaceId);
  });

  it("refuses bad input naming the field", async () => {
    const { db } = t();
    await expect(recordWebhookDelivery(db, { ...inboundSms(), provider: "github" as WebhookProvider })).rejects.toMatchObject({ code: "validation_failed", details: { field: "provider" } });
    await expect(recordWebhookDelivery(db, inboundSms("  "))).rejects.toMatchObject({ details: { field: "externalId" } });
    await expect(recordWebhookDelivery(db, { ...inboundSms(), eventType: "" })).rejects.toMatchObject({ details: { field: "eventType" } });
    await expect(recordWebhookDelivery(db, { ...inboundSms(), payload: "raw" as unknown as Record<string, unknown> })).rejects.toMatchObject({ details: { field: "payload" } });
    await expect(recordWebhookDelivery(db, { ...inboundSms(), workspaceId: "acme" })).rejects.toMatchObject({ details: { field: "workspaceId" } });

    const { delivery } = await recordWebhookDelivery(db, inboundSms());
    await expect(markWebhookDelivery(db, delivery.id, { status: "received" as MarkWebhookDeliveryInput["status"] })).rejects.toMatchObject({ details: { field: "status" } });
    await expect(markWebhookDelivery(db, "d-1", { status: "processed" })).rejects.toMatchObject({ code: "validation_failed" });
  });

  it("lists only the workspace's deliveries, newest received first", async () => {
    const { db } = t();
    const a = await newWorkspaceContext(db, "a");
    const b = await newWorkspaceContext(db, "b");
    const older = (await recordWebhookDelivery(db, { ...inboundSms(), workspaceId: a.workspaceId })).delivery;
    const slack = (await recordWebhookDelivery(db, { provider: "slack", externalId: `Ev${randomUUID()}`, eventType: "block_actions", payload: {} })).delivery;
    await markWebhookDelivery(db, slack.id, { status: "processed", workspaceId: a.workspaceId });
    const foreign = (await recordWebhookDelivery(db, { ...inboundSms(), workspaceId: b.workspaceId })).delivery;
    await recordWebhookDelivery(db, inboundSms());

    const listed = await listWebhookDeliveries(a);
    expect(listed.map((d) => d.id).sort()).toEqual([slack.id, older.id].sort());
    expect(listed[0]?.receivedAt.getTime()).toBeGreaterThanOrEqual(listed[1]?.receivedAt.getTime() ?? Infinity);
    expect((await listWebhookDeliveries(a, { provider: "twilio" })).map((d) => d.id)).toEqual([older.id]);
    expect(await listWebhookDeliveries(a, { limit: 1 })).toHaveLength(1);
    expect((await listWebhookDeliveries(b)).map((d) => d.id)).toEqual([foreign.id]);
    await expect(listWebhookDeliveries(a, { provider: "github" as WebhookProvider })).rejects.toMatchObject({ details: { field: "provider" } });
  });
});
