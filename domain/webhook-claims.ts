import { eq } from "drizzle-orm";
import type { Database } from "../drizzle/client.js";
import { webhookDeliveries } from "../drizzle/schema/index.js";

/**
 * Inside the transaction that handles a delivery: lock its row and say whether it still needs
 * handling. A provider that retries while the first attempt is still working finds the row
 * `received` too; the lock makes the second attempt wait for the first to commit, after which it
 * sees `processed` and does nothing, so work that is not idempotent (appending a note, adding to a
 * budget line) happens once. False also when the row is gone.
 */
export async function claimReceivedDelivery(tx: Database, deliveryId: string): Promise<boolean> {
  const [row] = await tx
    .select({ status: webhookDeliveries.status })
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, deliveryId))
    .for("update");
  return row?.status === "received";
}
