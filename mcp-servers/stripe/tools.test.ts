import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { expect, it } from "vitest";
import type { DomainContext } from "../../domain/context.js";
import { listOutbox, listSandboxObjects } from "../../domain/sandbox.js";
import { newWorkspaceContext } from "../../test/context.js";
import { describeEachDriver } from "../../test/db.js";
import { connectInMemory } from "../host/in-memory.js";
import { callError, callOk, testToolContext } from "../host/testing.js";
import { createStripeSandboxBackend, ledgerEntryData } from "./backends/sandbox.js";
import { createStripeServer } from "./server.js";

/** The sandbox through a real MCP client: what each tool did is in the outbox, with Stripe's ids, statuses and errors. */

interface Money {
  amountMinor: number;
  currency: string;
  display: string;
}
interface Payment {
  id: string;
  status: string;
  purpose: string;
  amount: Money;
  refunded: Money;
  refundable: Money;
  fundsTo: string;
}
interface BalanceLine {
  currency: string;
  collected: Money;
  refunded: Money;
  transferredToVendors: Money;
  net: Money;
}

const NOW = new Date("2027-01-15T10:00:00Z");
const EVENT = "0c6f5a52-5d8f-4c3e-9a57-1f0c2f3e4d5a";

describeEachDriver("stripe MCP: sandbox tools", (t) => {
  const backend = createStripeSandboxBackend({ now: () => NOW });

  async function connect(ctx: DomainContext, maxAmountMinor = 2_500_000): Promise<{ client: Client; close: () => Promise<void> }> {
    return connectInMemory(createStripeServer(backend, { maxAmountMinor }), testToolContext(t().handle, ctx));
  }

  async function withClient(run: (client: Client, ctx: DomainContext) => Promise<void>, maxAmountMinor?: number) {
    const ctx = await newWorkspaceContext(t().db, "stripe");
    const { client, close } = await connect(ctx, maxAmountMinor);
    try {
      await run(client, ctx);
    } finally {
      await close();
    }
  }

  const deposit = (key: string, extra: Record<string, unknown> = {}) => ({ vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 150_000, currency: "EUR", idempotency_key: key, ...extra });

  it("records every tool's effect as a Stripe-shaped object in the payment outbox, with a ledger the balance adds up", async () => {
    await withClient(async (client, ctx) => {
      const { customer } = await callOk<{ customer: { id: string } }>(client, "create_customer", { name: "Acme Corp", email: "billing@acme.example", eventId: EVENT, idempotency_key: "cust-acme-key" });
      expect(customer.id).toMatch(/^cus_[A-Za-z0-9]{14}$/);

      const { paymentLink } = await callOk<{ paymentLink: { id: string; url: string; unitPrice: Money; quantityLimit: number } }>(client, "create_payment_link", {
        ticketName: "Offsite full pass",
        unitAmountMinor: 12_000,
        currency: "EUR",
        quantityLimit: 40,
        eventId: EVENT,
        idempotency_key: "link-pass-key",
      });
      expect(paymentLink).toMatchObject({ id: expect.stringMatching(/^plink_[A-Za-z0-9]{24}$/) as string, quantityLimit: 40, unitPrice: { amountMinor: 12_000, currency: "EUR", display: "€120.00" } });
      expect(paymentLink.url).toContain(paymentLink.id);

      const { invoice } = await callOk<{ invoice: { id: string; number: string; status: string; total: Money; dueDate: string; customerEmail: string } }>(client, "create_invoice", {
        customerId: customer.id,
        currency: "EUR",
        lineItems: [
          { description: "Gold sponsorship", unitAmountMinor: 500_000 },
          { description: "Booth", unitAmountMinor: 75_000, quantity: 2 },
        ],
        daysUntilDue: 14,
        idempotency_key: "invoice-acme-key",
      });
      expect(invoice).toMatchObject({ id: expect.stringMatching(/^in_/) as string, number: expect.stringMatching(/^[0-9A-F]{8}-0001$/) as string, status: "open", customerEmail: "billing@acme.example" });
      expect(invoice.total).toEqual({ amountMinor: 650_000, currency: "EUR", display: "€6,500.00" });
      expect(invoice.dueDate).toBe("2027-01-29T10:00:00.000Z");

      const { payment } = await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("deposit-venue-key", { vendorStripeAccount: "acct_1Venue", eventId: EVENT }));
      expect(payment).toMatchObject({ id: expect.stringMatching(/^pi_/) as string, status: "succeeded", purpose: "vendor_deposit", fundsTo: "vendor_stripe_account" });
      const { payment: dj } = await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("deposit-dj-key", { vendorName: "DJ Rui", amountMinor: 20_000 }));
      expect(dj.fundsTo).toBe("this_stripe_account");

      const { refund, payment: after } = await callOk<{ refund: { id: string; status: string; amount: Money }; payment: Payment }>(client, "refund_payment", {
        paymentId: payment.id,
        amountMinor: 50_000,
        currency: "EUR",
        idempotency_key: "refund-venue-key",
      });
      expect(refund).toMatchObject({ id: expect.stringMatching(/^re_/) as string, status: "succeeded", amount: { amountMinor: 50_000 } });
      expect(after).toMatchObject({ refunded: { amountMinor: 50_000 }, refundable: { amountMinor: 100_000 } });

      // What `event-planner sandbox outbox --kind payment` prints.
      const outbox = await listOutbox(ctx, "payment");
      expect(outbox.map((o) => [o.kind, o.externalId, o.status]).sort()).toEqual(
        [
          ["customer", customer.id, "active"],
          ["payment_link", paymentLink.id, "active"],
          ["invoice", invoice.id, "open"],
          ["payment", payment.id, "succeeded"],
          ["payment", dj.id, "succeeded"],
          ["refund", refund.id, "succeeded"],
        ].sort(),
      );
      const stored = outbox.find((o) => o.externalId === payment.id)?.data;
      expect(stored).toMatchObject({ object: "payment_intent", amount: 150_000, currency: "eur", transfer_data: { destination: "acct_1Venue" }, latest_charge: { amount_refunded: 50_000, refunded: false }, metadata: { workspace_id: ctx.workspaceId, event_id: EVENT } });

      const ledger = (await listSandboxObjects(ctx, { service: "stripe", kinds: ["ledger_entry"] })).map((o) => ledgerEntryData.parse(o.data));
      expect(ledger.map((e) => [e.type, e.balance_effect]).sort()).toEqual(
        [
          ["invoice", 0],
          ["charge", 150_000],
          ["transfer", -150_000],
          ["charge", 20_000],
          ["refund", -50_000],
          ["transfer_reversal", 50_000],
        ].sort(),
      );
      const { balances } = await callOk<{ scope: string; balances: BalanceLine[] }>(client, "get_balance", {});
      expect(balances).toHaveLength(1);
      expect(balances[0]).toMatchObject({ currency: "EUR", collected: { amountMinor: 170_000 }, refunded: { amountMinor: 50_000 }, transferredToVendors: { amountMinor: 100_000 }, net: { amountMinor: 20_000 } });
      expect(balances[0]?.net.amountMinor).toBe(ledger.reduce((sum, e) => sum + e.balance_effect, 0));

      const { payments } = await callOk<{ payments: Payment[] }>(client, "list_payments", {});
      expect(payments.map((p) => p.id).sort()).toEqual([payment.id, dj.id].sort());
      expect((await callOk<{ payments: Payment[] }>(client, "list_payments", { eventId: EVENT })).payments.map((p) => p.id)).toEqual([payment.id]);
      expect((await callOk<{ payments: Payment[] }>(client, "list_payments", { purpose: "registration" })).payments).toEqual([]);
    });
  });

  it("refuses bad input with a tool error naming the field, before anything is recorded", async () => {
    await withClient(async (client, ctx) => {
      const cases: [string, Record<string, unknown>, RegExp][] = [
        ["create_customer", { name: "Acme", email: "not-an-email", idempotency_key: "bad-1-key" }, /email/],
        ["create_payment_link", { ticketName: "Pass", unitAmountMinor: 12.5, currency: "EUR", quantityLimit: 10, idempotency_key: "bad-2-key" }, /unitAmountMinor/],
        ["create_payment_link", { ticketName: "Pass", unitAmountMinor: 1200, currency: "eur", quantityLimit: 10, idempotency_key: "bad-3-key" }, /currency/],
        ["create_invoice", { customerId: "acme", currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: "bad-4-key" }, /customerId/],
        ["create_invoice", { customerId: "cus_abc", currency: "EUR", lineItems: [], idempotency_key: "bad-5-key" }, /lineItems/],
        ["pay_vendor_deposit", deposit("bad-6-key", { amountMinor: -100 }), /amountMinor/],
        ["pay_vendor_deposit", deposit("bad-7-key", { vendorStripeAccount: "vendor-42" }), /vendorStripeAccount/],
        ["refund_payment", { paymentId: "ch_123", idempotency_key: "bad-8-key" }, /paymentId/],
        ["refund_payment", { paymentId: "pi_123", amountMinor: 500, idempotency_key: "bad-9-key" }, /currency/],
        ["list_payments", { limit: 0 }, /limit/],
      ];
      for (const [tool, args, field] of cases) expect(await callError(client, tool, args), tool).toMatch(field);
      expect(await listOutbox(ctx, "payment")).toEqual([]);
    });
  });

  it("answers as Stripe does: minimum amounts, unknown or email-less customers, refunds beyond what is left", async () => {
    await withClient(async (client) => {
      expect(await callError(client, "pay_vendor_deposit", deposit("small-key", { amountMinor: 20, currency: "GBP" }))).toBe("validation_failed: amountMinor: Amount must be at least £0.30 gbp (Stripe: amount_too_small)");
      expect(await callError(client, "create_payment_link", { ticketName: "Pass", unitAmountMinor: 40, currency: "JPY", quantityLimit: 5, idempotency_key: "small-link-key" })).toBe(
        "validation_failed: unitAmountMinor: Amount must be at least ¥50 jpy (Stripe: amount_too_small)",
      );
      expect(await callError(client, "create_invoice", { customerId: "cus_Missing0000000", currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: "inv-missing-key" })).toBe(
        "not_found: customerId: No such customer: 'cus_Missing0000000' (Stripe: resource_missing)",
      );
      const { customer } = await callOk<{ customer: { id: string } }>(client, "create_customer", { name: "No Email Ltd", idempotency_key: "cust-noemail-key" });
      expect(await callError(client, "create_invoice", { customerId: customer.id, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: "inv-noemail-key" })).toMatch(
        /^validation_failed: customerId: Missing email/,
      );

      const { payment } = await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("dep-refund-key", { amountMinor: 10_000 }));
      expect(await callError(client, "refund_payment", { paymentId: payment.id, amountMinor: 10_001, currency: "EUR", idempotency_key: "ref-too-much-key" })).toBe(
        "validation_failed: amountMinor: Refund amount (€100.01 eur) is greater than unrefunded amount on charge (€100.00 eur) (Stripe: amount_too_large)",
      );
      const full = await callOk<{ refund: { amount: Money } }>(client, "refund_payment", { paymentId: payment.id, reason: "duplicate", idempotency_key: "ref-full-key" });
      expect(full.refund.amount.amountMinor).toBe(10_000);
      expect(await callError(client, "refund_payment", { paymentId: payment.id, idempotency_key: "ref-again-key" })).toMatch(/^conflict: paymentId: Charge ch_\w+ has already been refunded \(Stripe: charge_already_refunded\)/);
      expect(await callError(client, "refund_payment", { paymentId: "pi_NoSuchPayment00000000000", idempotency_key: "ref-missing-key" })).toBe(
        "not_found: paymentId: No such payment_intent: 'pi_NoSuchPayment00000000000' (Stripe: resource_missing)",
      );
    });
  });

  it("refuses any amount above the per-call cap before the sandbox records it, including a full refund", async () => {
    await withClient(async (client, ctx) => {
      expect(await callError(client, "pay_vendor_deposit", deposit("cap-1-key", { amountMinor: 100_001 }))).toMatch(/^budget_exceeded: amountMinor: 100001 minor units for a deposit is above the per-call cap of 100000/);
      expect(await callError(client, "create_payment_link", { ticketName: "VIP", unitAmountMinor: 200_000, currency: "EUR", quantityLimit: 5, idempotency_key: "cap-2-key" })).toMatch(/^budget_exceeded: unitAmountMinor/);
      expect(
        await callError(client, "create_invoice", { customerId: "cus_abc", currency: "EUR", lineItems: [{ description: "Booth", unitAmountMinor: 60_000, quantity: 2 }], idempotency_key: "cap-3-key" }),
      ).toMatch(/^budget_exceeded: lineItems: 120000 minor units for the invoice total/);
      expect(await listOutbox(ctx, "payment")).toEqual([]);
    }, 100_000);

    // A payment made under a higher cap cannot be refunded in full in one call under a lower one.
    const ctx = await newWorkspaceContext(t().db, "stripe-cap");
    const high = await connect(ctx);
    const { payment } = await callOk<{ payment: Payment }>(high.client, "pay_vendor_deposit", deposit("cap-dep-key"));
    await high.close();
    const low = await connect(ctx, 100_000);
    try {
      expect(await callError(low.client, "refund_payment", { paymentId: payment.id, idempotency_key: "cap-ref-key" })).toMatch(/^budget_exceeded: amountMinor: 150000 minor units for a full refund of pi_/);
      await callOk(low.client, "refund_payment", { paymentId: payment.id, amountMinor: 100_000, currency: "EUR", idempotency_key: "cap-ref-part-key" });
    } finally {
      await low.close();
    }
  });

  it("acts once per idempotency key: through the tools, and in the sandbox itself when a call is retried", async () => {
    await withClient(async (client, ctx) => {
      const first = await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("once-key"));
      expect(await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("once-key"))).toEqual(first);

      // A retry the host lets through (an earlier attempt's outcome unknown) reaches the sandbox, which replays.
      const tool = testToolContext(t().handle, ctx);
      const input = { vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 150_000, currency: "EUR" };
      expect((await backend.payVendorDeposit(tool, input, "once-key")).id).toBe(first.payment.id);
      const refund = await backend.refundPayment(tool, { paymentId: first.payment.id, maxAmountMinor: 2_500_000 }, "refund-once-key");
      // Fully refunded now, yet the same key answers with the first refund rather than charge_already_refunded.
      expect((await backend.refundPayment(tool, { paymentId: first.payment.id, maxAmountMinor: 2_500_000 }, "refund-once-key")).refund.id).toBe(refund.refund.id);

      const outbox = await listOutbox(ctx, "payment");
      expect(outbox.map((o) => o.kind).sort()).toEqual(["payment", "refund"]);
      const ledger = await listSandboxObjects(ctx, { service: "stripe", kinds: ["ledger_entry"] });
      expect(ledger.map((o) => o.data.type).sort()).toEqual(["charge", "refund"]);
    });
  });

  it("never refunds more than was paid, even when two refunds race", async () => {
    await withClient(async (client, ctx) => {
      const { payment } = await callOk<{ payment: Payment }>(client, "pay_vendor_deposit", deposit("race-key", { amountMinor: 10_000 }));
      const tool = testToolContext(t().handle, ctx);
      const results = await Promise.allSettled(["race-1", "race-2"].map((key) => backend.refundPayment(tool, { paymentId: payment.id, amountMinor: 6_000, maxAmountMinor: 2_500_000 }, key)));
      expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
      expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "validation_failed", details: { stripeCode: "amount_too_large" } } });
      const { payments } = await callOk<{ payments: Payment[] }>(client, "list_payments", {});
      expect(payments[0]?.refunded.amountMinor).toBe(6_000);
    });
  });

  it("keeps workspaces apart: payments, customers, balances and keys", async () => {
    const a = await newWorkspaceContext(t().db, "stripe-a");
    const b = await newWorkspaceContext(t().db, "stripe-b");
    const clientA = await connect(a);
    const clientB = await connect(b);
    try {
      const { payment } = await callOk<{ payment: Payment }>(clientA.client, "pay_vendor_deposit", deposit("shared-key-key"));
      const { customer } = await callOk<{ customer: { id: string } }>(clientA.client, "create_customer", { name: "Acme", email: "a@acme.example", idempotency_key: "cust-a-key" });

      expect((await callOk<{ payments: Payment[] }>(clientB.client, "list_payments", {})).payments).toEqual([]);
      expect((await callOk<{ balances: BalanceLine[] }>(clientB.client, "get_balance", {})).balances).toEqual([]);
      expect(await callError(clientB.client, "refund_payment", { paymentId: payment.id, idempotency_key: "steal-key" })).toMatch(/^not_found: paymentId: No such payment_intent/);
      expect(await callError(clientB.client, "create_invoice", { customerId: customer.id, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: "inv-b-key" })).toMatch(
        /^not_found: customerId: No such customer/,
      );
      expect(await listOutbox(b, "payment")).toEqual([]);

      const own = await callOk<{ payment: Payment }>(clientB.client, "pay_vendor_deposit", deposit("shared-key-key"));
      expect(own.payment.id).not.toBe(payment.id);
      expect((await callOk<{ payments: Payment[] }>(clientA.client, "list_payments", {})).payments.map((p) => p.id)).toEqual([payment.id]);
    } finally {
      await clientA.close();
      await clientB.close();
    }
  });
});
