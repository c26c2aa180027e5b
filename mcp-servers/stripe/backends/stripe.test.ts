import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainContext } from "../../../domain/context.js";
import { newWorkspaceContext } from "../../../test/context.js";
import { createTestDatabase, type TestDatabase } from "../../../test/db.js";
import { connectInMemory } from "../../host/in-memory.js";
import { callError, callOk, testToolContext } from "../../host/testing.js";
import { loadConfig } from "../../../lib/config.js";
import { createLogger } from "../../../lib/logger.js";
import { createStripeServer, createStripeServerFromConfig } from "../server.js";
import { startFakeStripe, type FakeStripe } from "../testing/fake-stripe.js";
import { createStripeSdkBackend, type StripeSdkOptions } from "./stripe.js";

/**
 * The real backend: the official SDK talking to the fake Stripe, checked by the requests it sent
 * (paths, form parameters, Idempotency-Key headers) and by how Stripe's answers reach a planner.
 * The SDK touches no database; one PGlite holds the host's tool-call ledger.
 */

const SECRET = "sk_test_fake_0123456789";

interface Money {
  amountMinor: number;
  currency: string;
  display: string;
}
interface Payment {
  id: string;
  purpose: string;
  status: string;
  amount: Money;
  refunded: Money;
  refundable: Money;
  fundsTo: string;
  vendorStripeAccount: string | null;
  vendorName: string | null;
}

describe("stripe SDK backend against a fake Stripe", () => {
  let fake: FakeStripe;
  let database: TestDatabase;
  let a: DomainContext;
  let b: DomainContext;
  const open: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    fake = await startFakeStripe({ secretKey: SECRET });
    database = await createTestDatabase("pglite");
    a = await newWorkspaceContext(database.db, "stripe-a");
    b = await newWorkspaceContext(database.db, "stripe-b");
  });
  afterAll(async () => {
    for (const close of open) await close();
    await fake.close();
    await database.drop();
  });

  const backend = (options: Partial<StripeSdkOptions> = {}) => createStripeSdkBackend({ secretKey: SECRET, baseUrl: fake.url, depositPaymentMethod: "pm_card_visa", maxNetworkRetries: 0, ...options });

  async function client(ctx: DomainContext, options: Partial<StripeSdkOptions> = {}, maxAmountMinor = 2_500_000): Promise<Client> {
    const connection = await connectInMemory(createStripeServer(backend(options), { maxAmountMinor }), testToolContext(database.handle, ctx));
    open.push(connection.close);
    return connection.client;
  }

  const last = (method: string, path: string | RegExp) => {
    const found = fake.requestsTo(method, path).at(-1);
    if (!found) throw new Error(`no ${method} ${String(path)}`);
    return found;
  };

  it("creates a customer with the workspace in its metadata and the key as Idempotency-Key", async () => {
    const { customer } = await callOk<{ customer: { id: string; email: string } }>(await client(a), "create_customer", {
      name: "Acme Corp",
      email: "Billing@Acme.example",
      description: "Gold sponsor",
      idempotency_key: "customer-acme-1",
    });
    expect(customer).toMatchObject({ id: expect.stringMatching(/^cus_/) as string, email: "billing@acme.example" });
    const request = last("POST", "/v1/customers");
    expect(request.form).toMatchObject({ name: "Acme Corp", email: "billing@acme.example", description: "Gold sponsor", "metadata[workspace_id]": a.workspaceId });
    expect(request.idempotencyKey).toBe(`${a.workspaceId}:customer-acme-1`);
    expect(request.authorization).toBe(`Bearer ${SECRET}`);
    expect(request.stripeVersion).toBeTruthy();
  });

  it("creates a ticket payment link: one ticket per checkout, the quantity limit as completed sessions, lower-case currency", async () => {
    const eventId = "5b0f7a52-5d8f-4c3e-9a57-1f0c2f3e4d5a";
    const { paymentLink } = await callOk<{ paymentLink: { id: string; url: string; unitPrice: Money; quantityLimit: number; sold: number } }>(await client(a), "create_payment_link", {
      ticketName: "Offsite full pass",
      description: "Two days, meals included",
      unitAmountMinor: 12_000,
      currency: "EUR",
      quantityLimit: 40,
      eventId,
      idempotency_key: "plink-offsite-1",
    });
    expect(paymentLink).toMatchObject({ id: expect.stringMatching(/^plink_/) as string, url: expect.stringMatching(/^https:\/\/buy\.stripe\.com\//) as string, quantityLimit: 40, sold: 0 });
    expect(paymentLink.unitPrice).toEqual({ amountMinor: 12_000, currency: "EUR", display: "€120.00" });
    const request = last("POST", "/v1/payment_links");
    expect(request.form).toMatchObject({
      "line_items[0][quantity]": "1",
      "line_items[0][price_data][currency]": "eur",
      "line_items[0][price_data][unit_amount]": "12000",
      "line_items[0][price_data][product_data][name]": "Offsite full pass",
      "line_items[0][price_data][product_data][description]": "Two days, meals included",
      "restrictions[completed_sessions][limit]": "40",
      "metadata[workspace_id]": a.workspaceId,
      "metadata[event_id]": eventId,
      "payment_intent_data[metadata][workspace_id]": a.workspaceId,
      "payment_intent_data[metadata][purpose]": "registration",
    });
    expect(request.idempotencyKey).toBe(`${a.workspaceId}:plink-offsite-1`);

    const tooCheap = await callError(await client(a), "create_payment_link", { ticketName: "Sticker", unitAmountMinor: 20, currency: "EUR", quantityLimit: 5, idempotency_key: "plink-cheap-1" });
    expect(tooCheap).toBe("validation_failed: unitAmountMinor: Amount must be at least €0.50 eur (Stripe: amount_too_small)");
  });

  it("creates, fills, finalizes and sends an invoice, each request with its own derived key", async () => {
    const sponsor = await client(a);
    const { customer } = await callOk<{ customer: { id: string } }>(sponsor, "create_customer", { name: "Globex", email: "ap@globex.example", idempotency_key: "customer-globex-1" });
    const before = fake.requests.length;
    const { invoice } = await callOk<{ invoice: { id: string; status: string; number: string; total: Money; lines: { quantity: number; unitPrice: Money; amount: Money }[]; dueDate: string } }>(sponsor, "create_invoice", {
      customerId: customer.id,
      currency: "EUR",
      lineItems: [
        { description: "Gold sponsorship", unitAmountMinor: 500_000 },
        { description: "Booth", unitAmountMinor: 75_000, quantity: 2 },
      ],
      daysUntilDue: 14,
      memo: "Lisbon offsite 2027",
      idempotency_key: "invoice-globex-1",
    });
    expect(invoice).toMatchObject({ id: expect.stringMatching(/^in_/) as string, status: "open", total: { amountMinor: 650_000, currency: "EUR", display: "€6,500.00" } });
    expect(invoice.lines.map((l) => [l.quantity, l.unitPrice.amountMinor, l.amount.amountMinor])).toEqual([
      [1, 500_000, 500_000],
      [2, 75_000, 150_000],
    ]);
    expect(fake.state.sentInvoices).toContain(invoice.id);

    const sent = fake.requests.slice(before);
    expect(sent.map((r) => `${r.method} ${r.path.replace(invoice.id, ":id").replace(customer.id, ":customer")}`)).toEqual([
      "GET /v1/customers/:customer",
      "POST /v1/invoices",
      "POST /v1/invoiceitems",
      "POST /v1/invoiceitems",
      "POST /v1/invoices/:id/finalize",
      "POST /v1/invoices/:id/send",
    ]);
    expect(sent.map((r) => r.idempotencyKey)).toEqual([
      undefined,
      `${a.workspaceId}:invoice-globex-1:invoice`,
      `${a.workspaceId}:invoice-globex-1:line-0`,
      `${a.workspaceId}:invoice-globex-1:line-1`,
      `${a.workspaceId}:invoice-globex-1:finalize`,
      `${a.workspaceId}:invoice-globex-1:send`,
    ]);
    expect(sent[1]?.form).toMatchObject({ customer: customer.id, collection_method: "send_invoice", days_until_due: "14", currency: "eur", pending_invoice_items_behavior: "exclude", description: "Lisbon offsite 2027" });
    expect(sent[3]?.form).toMatchObject({ invoice: invoice.id, currency: "eur", description: "Booth", quantity: "2", unit_amount_decimal: "75000" });

    // Another workspace's customer is as missing as a made-up one, and nothing is created for it.
    const invoicesBefore = fake.state.invoices.size;
    const other = await callError(await client(b), "create_invoice", { customerId: customer.id, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 1000 }], idempotency_key: "invoice-b-1" });
    expect(other).toBe(`not_found: customerId: No such customer: '${customer.id}' (Stripe: resource_missing)`);
    expect(await callError(sponsor, "create_invoice", { customerId: "cus_missing", currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 1000 }], idempotency_key: "invoice-a-missing" })).toMatch(/^not_found: customerId: No such customer/);
    // Stripe would refuse to send it at the end; asking first leaves no draft behind.
    const { customer: noEmail } = await callOk<{ customer: { id: string } }>(sponsor, "create_customer", { name: "No Email Ltd", idempotency_key: "customer-noemail-1" });
    expect(await callError(sponsor, "create_invoice", { customerId: noEmail.id, currency: "EUR", lineItems: [{ description: "x", unitAmountMinor: 1000 }], idempotency_key: "invoice-noemail-1" })).toMatch(
      /^validation_failed: customerId: Missing email/,
    );
    expect(fake.state.invoices.size).toBe(invoicesBefore);
  });

  it("is what the configuration builds with STRIPE_SECRET_KEY: the SDK aimed at STRIPE_BASE_URL, the test card for deposits, the configured cap", async () => {
    const config = loadConfig({ STRIPE_SECRET_KEY: SECRET, STRIPE_BASE_URL: fake.url, STRIPE_MAX_AMOUNT_MINOR: "100000" });
    const definition = createStripeServerFromConfig({ config, logger: createLogger({ level: "silent" }) });
    expect(definition.instructions).toMatch(/live Stripe API/);
    const connection = await connectInMemory(definition, testToolContext(database.handle, a));
    open.push(connection.close);
    const args = { vendorName: "Sound & Light", description: "AV deposit", amountMinor: 80_000, currency: "EUR", idempotency_key: "deposit-config-1" };
    await callOk(connection.client, "pay_vendor_deposit", args);
    expect(last("POST", "/v1/payment_intents").form).toMatchObject({ payment_method: "pm_card_visa", amount: "80000" });
    expect(await callError(connection.client, "pay_vendor_deposit", { ...args, amountMinor: 100_001, idempotency_key: "deposit-config-2" })).toMatch(/^budget_exceeded: amountMinor/);
  });

  it("replays a creating request with the same key at Stripe, and keeps workspaces' keys apart", async () => {
    const deposit = { vendorName: "Casa do Marquês", description: "Catering deposit", amountMinor: 60_000, currency: "EUR" };
    const ctxA = testToolContext(database.handle, a);
    const first = await backend().payVendorDeposit(ctxA, deposit, "same-deposit-key");
    const again = await backend().payVendorDeposit(ctxA, deposit, "same-deposit-key");
    expect(again.id).toBe(first.id);
    const fromB = await backend().payVendorDeposit(testToolContext(database.handle, b), deposit, "same-deposit-key");
    expect(fromB.id).not.toBe(first.id);
    const sent = fake.requestsTo("POST", "/v1/payment_intents").filter((r) => r.idempotencyKey?.endsWith(":same-deposit-key"));
    expect(sent.map((r) => r.idempotencyKey)).toEqual([`${a.workspaceId}:same-deposit-key`, `${a.workspaceId}:same-deposit-key`, `${b.workspaceId}:same-deposit-key`]);
    expect([...fake.state.paymentIntents.values()].filter((pi) => pi.id === first.id || pi.id === fromB.id)).toHaveLength(2);
  });

  it("pays a vendor deposit as a confirmed PaymentIntent, routed to the vendor's connected account when given", async () => {
    const planner = await client(a);
    const { payment } = await callOk<{ payment: Payment }>(planner, "pay_vendor_deposit", {
      vendorName: "Tagus Riverside Hall",
      vendorReference: "Q-2027-031",
      description: "30% venue deposit",
      amountMinor: 195_000,
      currency: "EUR",
      vendorStripeAccount: "acct_1VenueLisbon",
      idempotency_key: "deposit-venue-1",
    });
    expect(payment).toMatchObject({
      id: expect.stringMatching(/^pi_/) as string,
      purpose: "vendor_deposit",
      status: "succeeded",
      fundsTo: "vendor_stripe_account",
      vendorStripeAccount: "acct_1VenueLisbon",
      vendorName: "Tagus Riverside Hall",
      refundable: { amountMinor: 195_000, currency: "EUR", display: "€1,950.00" },
    });
    const request = last("POST", "/v1/payment_intents");
    expect(request.form).toMatchObject({
      amount: "195000",
      currency: "eur",
      confirm: "true",
      payment_method: "pm_card_visa",
      "automatic_payment_methods[enabled]": "true",
      "automatic_payment_methods[allow_redirects]": "never",
      "transfer_data[destination]": "acct_1VenueLisbon",
      description: "Vendor deposit to Tagus Riverside Hall: 30% venue deposit",
      "metadata[workspace_id]": a.workspaceId,
      "metadata[purpose]": "vendor_deposit",
      "metadata[vendor_reference]": "Q-2027-031",
      "expand[0]": "latest_charge",
    });
    expect(request.idempotencyKey).toBe(`${a.workspaceId}:deposit-venue-1`);

    const { payment: plain } = await callOk<{ payment: Payment }>(planner, "pay_vendor_deposit", { vendorName: "DJ Rui", description: "Booking fee", amountMinor: 20_000, currency: "EUR", idempotency_key: "deposit-dj-1" });
    expect(plain.fundsTo).toBe("this_stripe_account");
    expect(last("POST", "/v1/payment_intents").form["transfer_data[destination]"]).toBeUndefined();
  });

  it("maps Stripe's errors: card declined, rate limit, amount too small, bad key, and the cap stops a call before Stripe", async () => {
    const declined = await callError(await client(a, { depositPaymentMethod: "pm_card_chargeDeclined" }), "pay_vendor_deposit", {
      vendorName: "Florist",
      description: "Flowers",
      amountMinor: 10_000,
      currency: "EUR",
      idempotency_key: "deposit-declined-1",
    });
    expect(declined).toMatch(/^upstream_failed: Stripe declined the payment: Your card was declined \(generic_decline\)\. Nothing was charged/);

    const planner = await client(a);
    fake.failNext({
      status: 429,
      method: "POST",
      path: /^\/v1\/payment_intents$/,
      headers: { "retry-after": "2" },
      error: { type: "invalid_request_error", code: "rate_limit", message: "Too many requests hit the API too quickly." },
    });
    const args = { vendorName: "Photographer", description: "Half-day shoot", amountMinor: 40_000, currency: "EUR", idempotency_key: "deposit-photo-1" };
    expect(await callError(planner, "pay_vendor_deposit", args)).toMatch(/^rate_limited: Stripe is rate limiting this account; retry after 2 seconds/);
    // The refused attempt acted on nothing, so the same key may go again, and acts once.
    const { payment } = await callOk<{ payment: Payment }>(planner, "pay_vendor_deposit", args);
    expect(fake.requestsTo("POST", "/v1/payment_intents").filter((r) => r.idempotencyKey === `${a.workspaceId}:deposit-photo-1`)).toHaveLength(2);
    expect([...fake.state.paymentIntents.values()].filter((pi) => pi.metadata && pi.id === payment.id)).toHaveLength(1);

    expect(await callError(planner, "pay_vendor_deposit", { ...args, amountMinor: 30, idempotency_key: "deposit-small-1" })).toBe(
      "validation_failed: amountMinor: Amount must be at least €0.50 eur (Stripe: amount_too_small)",
    );

    const sentBefore = fake.requests.length;
    expect(await callError(await client(a, {}, 100_000), "pay_vendor_deposit", { ...args, amountMinor: 100_001, idempotency_key: "deposit-big-1" })).toMatch(
      /^budget_exceeded: amountMinor: 100001 minor units for a deposit is above the per-call cap of 100000/,
    );
    expect(fake.requests.length).toBe(sentBefore);

    expect(await callError(await client(a, { secretKey: "sk_test_wrong" }), "get_balance", {})).toMatch(/^unauthorized: Stripe rejected the API key/);
    fake.failNext({ status: 500, method: "GET", error: { type: "api_error", message: "Something went wrong on Stripe's end." } });
    expect(await callError(planner, "list_payments", {})).toMatch(/^upstream_failed: Stripe failed: Something went wrong on Stripe's end\. Retry later/);
    const closed = await startFakeStripe();
    await closed.close();
    expect(await callError(await client(a, { baseUrl: closed.url }), "list_payments", {})).toMatch(/^upstream_failed: Could not reach Stripe/);
    const live = await client(a, { depositPaymentMethod: undefined });
    expect(await callError(live, "pay_vendor_deposit", { ...args, idempotency_key: "deposit-live-1" })).toMatch(/^config_invalid: pay_vendor_deposit needs the company's Stripe payment method/);
  });

  it("refunds in part and in full, reverses a destination charge's transfer, and refuses what Stripe refuses", async () => {
    const planner = await client(a);
    const { payment } = await callOk<{ payment: Payment }>(planner, "pay_vendor_deposit", {
      vendorName: "Caterer",
      description: "Lunch deposit",
      amountMinor: 100_000,
      currency: "EUR",
      vendorStripeAccount: "acct_1Caterer",
      idempotency_key: "deposit-caterer-1",
    });
    const partial = await callOk<{ refund: { id: string; amount: Money; status: string }; payment: Payment }>(planner, "refund_payment", {
      paymentId: payment.id,
      amountMinor: 30_000,
      currency: "EUR",
      reason: "requested_by_customer",
      idempotency_key: "refund-caterer-1",
    });
    expect(partial.refund).toMatchObject({ id: expect.stringMatching(/^re_/) as string, status: "succeeded", amount: { amountMinor: 30_000, currency: "EUR" } });
    expect(partial.payment.refundable.amountMinor).toBe(70_000);
    const request = last("POST", "/v1/refunds");
    expect(request.form).toMatchObject({ payment_intent: payment.id, amount: "30000", reason: "requested_by_customer", reverse_transfer: "true", "metadata[workspace_id]": a.workspaceId });
    expect(request.idempotencyKey).toBe(`${a.workspaceId}:refund-caterer-1`);
    expect(last("GET", `/v1/payment_intents/${payment.id}`).query["expand[0]"]).toBe("latest_charge");

    expect(await callError(planner, "refund_payment", { paymentId: payment.id, amountMinor: 80_000, currency: "EUR", idempotency_key: "refund-caterer-2" })).toBe(
      "validation_failed: amountMinor: Refund amount (€800.00 eur) is greater than unrefunded amount on charge (€700.00 eur) (Stripe: amount_too_large)",
    );
    expect(await callError(planner, "refund_payment", { paymentId: payment.id, amountMinor: 100, currency: "USD", idempotency_key: "refund-caterer-usd" })).toMatch(/^validation_failed: currency: the payment is in EUR/);

    const full = await callOk<{ refund: { amount: Money }; payment: Payment }>(planner, "refund_payment", { paymentId: payment.id, idempotency_key: "refund-caterer-3" });
    expect(full.refund.amount.amountMinor).toBe(70_000);
    expect(last("POST", "/v1/refunds").form.amount).toBeUndefined();
    expect(full.payment).toMatchObject({ refunded: { amountMinor: 100_000 }, refundable: { amountMinor: 0 } });
    expect(await callError(planner, "refund_payment", { paymentId: payment.id, idempotency_key: "refund-caterer-4" })).toMatch(/^conflict: paymentId: Charge ch_\w+ has already been refunded \(Stripe: charge_already_refunded\)/);

    // Another workspace cannot refund it: the lookup answers as for a missing payment, and no refund is sent.
    const refundsBefore = fake.requestsTo("POST", "/v1/refunds").length;
    expect(await callError(await client(b), "refund_payment", { paymentId: payment.id, idempotency_key: "refund-from-b" })).toBe(
      `not_found: paymentId: No such payment_intent: '${payment.id}' (Stripe: resource_missing)`,
    );
    expect(await callError(planner, "refund_payment", { paymentId: "pi_doesnotexist", idempotency_key: "refund-missing" })).toMatch(/^not_found: paymentId: No such payment_intent: 'pi_doesnotexist'/);
    expect(fake.requestsTo("POST", "/v1/refunds").length).toBe(refundsBefore);
  });

  it("lists only this workspace's payments across Stripe's pages, and adds them up per currency", async () => {
    const ws = await newWorkspaceContext(database.db, "stripe-list");
    const mine = (amount: number, currency: string, purpose: string) => fake.addPayment({ amount, currency, metadata: { workspace_id: ws.workspaceId, purpose } });
    const ticket = mine(12_000, "eur", "registration");
    for (let i = 0; i < 120; i++) fake.addPayment({ amount: 5_000, currency: "eur", metadata: { workspace_id: b.workspaceId } });
    fake.addPayment({ amount: 7_000, currency: "eur", metadata: {} });
    const deposit = mine(50_000, "usd", "vendor_deposit");
    const planner = await client(ws);

    const { payments } = await callOk<{ payments: Payment[] }>(planner, "list_payments", {});
    expect(payments.map((p) => [p.id, p.purpose])).toEqual([
      [deposit.id, "vendor_deposit"],
      [ticket.id, "registration"],
    ]);
    const lists = fake.requestsTo("GET", "/v1/payment_intents").slice(-2);
    expect(lists.map((r) => [r.query.limit, r.query.starting_after === undefined, r.query["expand[0]"]])).toEqual([
      ["100", true, "data.latest_charge"],
      ["100", false, "data.latest_charge"],
    ]);
    expect((await callOk<{ payments: Payment[] }>(planner, "list_payments", { purpose: "registration" })).payments.map((p) => p.id)).toEqual([ticket.id]);

    await callOk(planner, "refund_payment", { paymentId: ticket.id, amountMinor: 2_000, currency: "EUR", idempotency_key: "refund-ticket-1" });
    const { balances } = await callOk<{ balances: { currency: string; collected: Money; refunded: Money; net: Money }[] }>(planner, "get_balance", {});
    expect(balances.map((line) => [line.currency, line.collected.amountMinor, line.refunded.amountMinor, line.net.amountMinor])).toEqual([
      ["EUR", 12_000, 2_000, 10_000],
      ["USD", 50_000, 0, 50_000],
    ]);
  });
});
