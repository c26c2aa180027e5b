import { expect } from "vitest";
import { loadConfig } from "../../lib/config.js";
import { createLogger } from "../../lib/logger.js";
import { describeMcpConformance, freshKey, type ConformanceCase } from "../host/conformance.js";
import { callError, callOk } from "../host/testing.js";
import { createStripeServerFromConfig } from "./server.js";

/** With no STRIPE_SECRET_KEY every transport serves the sandbox. Every tool, in the order a planner uses them. */
const CASES: ConformanceCase[] = [
  {
    tool: "create_customer",
    good: () => ({ name: "Acme Corp", email: "billing@acme.example", description: "Gold sponsor", idempotency_key: freshKey("customer") }),
    remember: (r, ids) => void (ids.customer = (r.customer as { id: string }).id),
    bad: () => ({ name: "Acme Corp", email: "billing at acme", idempotency_key: freshKey("bad") }),
    field: /email/,
  },
  {
    tool: "create_payment_link",
    good: () => ({ ticketName: "Offsite full pass", unitAmountMinor: 12_000, currency: "EUR", quantityLimit: 40, idempotency_key: freshKey("link") }),
    bad: () => ({ ticketName: "Offsite full pass", unitAmountMinor: 12_000, currency: "EURO", quantityLimit: 40, idempotency_key: freshKey("bad") }),
    field: /currency/,
  },
  {
    tool: "create_invoice",
    good: (ids) => ({ customerId: ids.customer, currency: "EUR", lineItems: [{ description: "Gold sponsorship", unitAmountMinor: 500_000 }], daysUntilDue: 14, idempotency_key: freshKey("invoice") }),
    bad: (ids) => ({ customerId: ids.customer, currency: "EUR", lineItems: [], idempotency_key: freshKey("bad") }),
    field: /lineItems/,
  },
  {
    tool: "pay_vendor_deposit",
    good: () => ({ vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 150_000, currency: "EUR", idempotency_key: freshKey("deposit") }),
    remember: (r, ids) => void (ids.payment = (r.payment as { id: string }).id),
    bad: () => ({ vendorName: "Tagus Riverside Hall", description: "30% venue deposit", amountMinor: 1500.5, currency: "EUR", idempotency_key: freshKey("bad") }),
    field: /amountMinor/,
  },
  {
    tool: "refund_payment",
    good: (ids) => ({ paymentId: ids.payment, amountMinor: 50_000, currency: "EUR", idempotency_key: freshKey("refund") }),
    // Stripe's own refusal: more than the 100,000 still refundable.
    bad: (ids) => ({ paymentId: ids.payment, amountMinor: 100_001, currency: "EUR", idempotency_key: freshKey("bad") }),
    field: /amountMinor/,
  },
  { tool: "list_payments", good: () => ({ purpose: "vendor_deposit" }), bad: () => ({ limit: 0 }), field: /limit/ },
  { tool: "get_balance", good: () => ({}), bad: () => ({ currency: "EUR" }), field: /currency/ },
];

const deposit = { vendorName: "Casa do Marquês", description: "Catering deposit", amountMinor: 60_000, currency: "EUR" };

describeMcpConformance({
  server: "stripe",
  definition: () => createStripeServerFromConfig({ config: loadConfig({}), logger: createLogger({ level: "silent" }) }),
  cases: CASES,
  idempotency: {
    tool: "pay_vendor_deposit",
    args: deposit,
    count: async (client) => (await callOk<{ payments: unknown[] }>(client, "list_payments", {})).payments.length,
  },
  isolation: async (connect) => {
    const a = await connect("conf-iso-a");
    const { payment } = await callOk<{ payment: { id: string } }>(a.client, "pay_vendor_deposit", { ...deposit, idempotency_key: "iso-a-deposit" });
    const { customer } = await callOk<{ customer: { id: string } }>(a.client, "create_customer", { name: "Acme", email: "a@acme.example", idempotency_key: "iso-a-customer" });
    await a.close();
    const b = await connect("conf-iso-b");
    try {
      expect((await callOk<{ payments: unknown[] }>(b.client, "list_payments", {})).payments).toEqual([]);
      expect((await callOk<{ balances: unknown[] }>(b.client, "get_balance", {})).balances).toEqual([]);
      expect(await callError(b.client, "refund_payment", { paymentId: payment.id, idempotency_key: "iso-b-refund" })).toMatch(/^not_found: paymentId/);
      expect(await callError(b.client, "create_invoice", { customerId: customer.id, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 100 }], idempotency_key: "iso-b-invoice" })).toMatch(
        /^not_found: customerId/,
      );
      // The same idempotency key in another workspace is a different payment.
      const own = await callOk<{ payment: { id: string } }>(b.client, "pay_vendor_deposit", { ...deposit, idempotency_key: "iso-a-deposit" });
      expect(own.payment.id).not.toBe(payment.id);
    } finally {
      await b.close();
    }
  },
});
