import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { claimReceivedDelivery } from "./webhook-claims.js";
import { markWebhookDelivery, recordWebhookDelivery } from "./webhook-deliveries.js";

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase("postgres");
});
afterAll(async () => {
  await t.drop();
});

it("lets one of two concurrent attempts handle a delivery: the second waits, then finds it processed", async () => {
  const { delivery } = await recordWebhookDelivery(t.db, { provider: "stripe", externalId: "evt_claim_race", eventType: "payment_intent.succeeded", payload: {} });
  const order: string[] = [];
  let releaseFirst: () => void = () => undefined;
  let firstClaimed: () => void = () => undefined;
  const claimed = new Promise<void>((resolve) => (firstClaimed = resolve));
  const first = t.db.transaction(async (tx) => {
    const won = await claimReceivedDelivery(tx, delivery.id);
    firstClaimed();
    await new Promise<void>((resolve) => (releaseFirst = resolve));
    await markWebhookDelivery(tx, delivery.id, { status: "processed" });
    order.push("first committed");
    return won;
  });
  await claimed;
  const second = t.db.transaction(async (tx) => {
    const won = await claimReceivedDelivery(tx, delivery.id);
    order.push("second claimed");
    return won;
  });
  releaseFirst();
  expect(await first).toBe(true);
  expect(await second).toBe(false);
  expect(order).toEqual(["first committed", "second claimed"]);
});

it("says no for a delivery already handled or unknown", async () => {
  const { delivery } = await recordWebhookDelivery(t.db, { provider: "twilio", externalId: "sms:claim-done", eventType: "sms.inbound", payload: {} });
  await markWebhookDelivery(t.db, delivery.id, { status: "ignored" });
  expect(await t.db.transaction((tx) => claimReceivedDelivery(tx, delivery.id))).toBe(false);
  expect(await t.db.transaction((tx) => claimReceivedDelivery(tx, "00000000-0000-4000-8000-000000000000"))).toBe(false);
});
