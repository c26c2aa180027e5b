import { createHash } from "node:crypto";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { createSandboxObject, findSandboxObject, listSandboxObjects, updateSandboxObject } from "../../../domain/sandbox.js";
import type { SandboxObject } from "../../../drizzle/schema/index.js";
import type { ToolContext } from "../../host/context.js";
import {
  METADATA,
  type CreateCustomerInput,
  type CreateInvoiceInput,
  type CreatePaymentLinkInput,
  type ListPaymentsInput,
  type RefundPaymentInput,
  type StripeBackend,
  type StripeBalanceLine,
  type StripePaymentLink,
  type VendorDepositInput,
} from "../backend.js";
import { missingEmail, stripeError, type StripeErrorBody } from "../errors.js";
import { derivedStripeId, randomStripeId } from "../ids.js";
import { assertRefundCurrency, assertWithinCap, minimumChargeMinor, STRIPE_MAX_AMOUNT, stripeAmountText, toStripeCurrency } from "../money.js";
import { depositDescription, depositMetadata, fromUnix, presentCustomer, presentInvoice, presentPayment, presentRefund, stripeMetadata, toUnix } from "../objects.js";

/**
 * Stripe inside our stack, for a workspace with no STRIPE_SECRET_KEY: customers, payment links,
 * invoices, PaymentIntents and refunds are Stripe-shaped sandbox objects (what `event-planner
 * sandbox outbox --kind payment` prints), and every movement of money is a `ledger_entry` whose
 * balance effect the workspace's `account` object adds up. It answers invalid requests with
 * Stripe's error bodies. Sandbox charges settle at once and carry no fees; a deposit is charged
 * to a stand-in company card that never declines.
 */

const SERVICE = "stripe";
const KIND = { customer: "customer", paymentLink: "payment_link", invoice: "invoice", payment: "payment", refund: "refund", ledger: "ledger_entry", account: "account" } as const;
const ACCOUNT_ID = "acct_sandbox";
const COMPANY_CARD = "pm_sandbox_company_card";
const SANDBOX_HOST = "https://sandbox.stripe.invalid";

const metadata = z.record(z.string(), z.string());

const customerData = z.object({
  id: z.string(),
  object: z.literal("customer"),
  name: z.string().nullable(),
  email: z.string().nullable(),
  description: z.string().nullable(),
  created: z.number().int(),
  livemode: z.literal(false),
  metadata,
});

const paymentLinkData = z.object({
  id: z.string(),
  object: z.literal("payment_link"),
  active: z.boolean(),
  url: z.string(),
  currency: z.string(),
  created: z.number().int(),
  livemode: z.literal(false),
  line_items: z.object({
    object: z.literal("list"),
    data: z.array(
      z.object({
        id: z.string(),
        object: z.literal("item"),
        description: z.string(),
        quantity: z.number().int(),
        price: z.object({ id: z.string(), object: z.literal("price"), unit_amount: z.number().int(), currency: z.string(), product: z.string() }),
      }),
    ),
  }),
  restrictions: z.object({ completed_sessions: z.object({ count: z.number().int(), limit: z.number().int() }) }),
  payment_intent_data: z.object({ description: z.string().nullable(), metadata }),
  metadata,
});

const chargeData = z.object({
  id: z.string(),
  object: z.literal("charge"),
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  refunded: z.boolean(),
  currency: z.string(),
  status: z.string(),
});

const paymentData = z.object({
  id: z.string(),
  object: z.literal("payment_intent"),
  amount: z.number().int(),
  amount_received: z.number().int(),
  currency: z.string(),
  status: z.string(),
  description: z.string().nullable(),
  created: z.number().int(),
  livemode: z.literal(false),
  payment_method: z.string(),
  latest_charge: chargeData,
  transfer_data: z.object({ destination: z.string() }).nullable(),
  metadata,
});

const refundData = z.object({
  id: z.string(),
  object: z.literal("refund"),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  created: z.number().int(),
  payment_intent: z.string(),
  charge: z.string(),
  metadata,
});

const invoiceData = z.object({
  id: z.string(),
  object: z.literal("invoice"),
  number: z.string().nullable(),
  status: z.string(),
  collection_method: z.literal("send_invoice"),
  customer: z.string(),
  customer_email: z.string().nullable(),
  customer_name: z.string().nullable(),
  currency: z.string(),
  subtotal: z.number().int(),
  total: z.number().int(),
  amount_due: z.number().int(),
  amount_paid: z.number().int(),
  amount_remaining: z.number().int(),
  created: z.number().int(),
  due_date: z.number().int().nullable(),
  description: z.string().nullable(),
  hosted_invoice_url: z.string().nullable(),
  status_transitions: z.object({ finalized_at: z.number().int().nullable() }),
  livemode: z.literal(false),
  lines: z.object({
    object: z.literal("list"),
    data: z.array(z.object({ id: z.string(), object: z.literal("line_item"), amount: z.number().int(), currency: z.string(), description: z.string().nullable(), quantity: z.number().int().nullable() })),
  }),
  metadata,
});

export const LEDGER_ENTRY_TYPES = ["charge", "refund", "transfer", "transfer_reversal", "invoice"] as const;
type LedgerEntryType = (typeof LEDGER_ENTRY_TYPES)[number];

interface LedgerPosting {
  type: LedgerEntryType;
  amount: number;
  currency: string;
  source: string;
  description: string;
}

/** Money in is positive, money out negative; an invoice moves nothing until it is paid. */
function balanceEffect(entry: LedgerPosting): number {
  switch (entry.type) {
    case "charge":
    case "transfer_reversal":
      return entry.amount;
    case "refund":
    case "transfer":
      return -entry.amount;
    case "invoice":
      return 0;
  }
}

/** A ledger entry as stored; exported so tests and inspectors can read the ledger. */
export const ledgerEntryData = z.object({
  id: z.string(),
  object: z.literal("ledger_entry"),
  type: z.enum(LEDGER_ENTRY_TYPES),
  amount: z.number().int(),
  currency: z.string(),
  /** Signed minor units added to the balance: + for a charge, − for a refund or a transfer out. */
  balance_effect: z.number().int(),
  source: z.string(),
  description: z.string(),
  created: z.number().int(),
});

const balanceTotals = z.object({ collected: z.number().int(), refunded: z.number().int(), transferred: z.number().int(), net: z.number().int() });
const accountData = z.object({
  id: z.literal(ACCOUNT_ID),
  object: z.literal("account"),
  invoice_prefix: z.string(),
  next_invoice_sequence: z.number().int(),
  /** Running totals per lower-case currency, kept in step with the ledger inside one transaction. */
  balance: z.record(z.string(), balanceTotals),
});
type AccountData = z.infer<typeof accountData>;

/** Stored data is ours, but parse it anyway: a malformed row is a bug (an internal error), not the planner's input. */
const read = <S extends z.ZodType>(schema: S, row: SandboxObject): z.output<S> => schema.parse(row.data);

function refuse(body: StripeErrorBody, status = 400): never {
  throw stripeError(body, { status });
}

const workspaceMetadata = (ctx: ToolContext, extra: Record<string, string | undefined>) => stripeMetadata(ctx.workspaceId, extra);

function checkChargeAmount(amount: number, currency: string, param: string): void {
  const minimum = minimumChargeMinor(currency);
  if (amount < minimum) refuse({ type: "invalid_request_error", code: "amount_too_small", param, message: `Amount must be at least ${stripeAmountText(minimum, currency)}` });
  if (amount > STRIPE_MAX_AMOUNT) refuse({ type: "invalid_request_error", code: "amount_too_large", param, message: `Amount must be no more than ${stripeAmountText(STRIPE_MAX_AMOUNT, currency)}` });
}

export interface SandboxOptions {
  /** The sandbox's clock: `created`, due dates. */
  now?: () => Date;
}

export function createStripeSandboxBackend(options: SandboxOptions = {}): StripeBackend {
  const now = options.now ?? (() => new Date());

  /**
   * Every write runs in one transaction under a per-workspace lock, so a repeated key, a ledger
   * entry and the running balance can never disagree, even for two concurrent retries.
   */
  function inLedger<T>(ctx: ToolContext, work: (tx: ToolContext) => Promise<T>): Promise<T> {
    return ctx.db.transaction(async (db) => {
      await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`stripe-sandbox:${ctx.workspaceId}`}, 0))`);
      return work({ ...ctx, db });
    });
  }

  const find = (ctx: ToolContext, kind: string, externalId: string) => findSandboxObject(ctx, SERVICE, kind, externalId);

  async function create(ctx: ToolContext, kind: string, externalId: string, status: string, data: Record<string, unknown>, extra: { parent?: string; key?: string } = {}) {
    const { object } = await createSandboxObject(ctx, { service: SERVICE, kind, externalId, status, data, parentExternalId: extra.parent, idempotencyKey: extra.key });
    return object;
  }

  async function loadAccount(ctx: ToolContext): Promise<{ row: SandboxObject; data: AccountData }> {
    const existing = await find(ctx, KIND.account, ACCOUNT_ID);
    if (existing) return { row: existing, data: read(accountData, existing) };
    const prefix = createHash("sha256").update(ctx.workspaceId).digest("hex").slice(0, 8).toUpperCase();
    const data: AccountData = { id: ACCOUNT_ID, object: "account", invoice_prefix: prefix, next_invoice_sequence: 1, balance: {} };
    return { row: await create(ctx, KIND.account, ACCOUNT_ID, "active", data), data };
  }

  /** Appends ledger entries and moves the account's running balance by the same amounts. */
  async function post(ctx: ToolContext, entries: LedgerPosting[]) {
    const account = await loadAccount(ctx);
    const created = toUnix(now());
    for (const entry of entries) {
      const totals = account.data.balance[entry.currency] ?? { collected: 0, refunded: 0, transferred: 0, net: 0 };
      const effect = balanceEffect(entry);
      if (entry.type === "charge") totals.collected += entry.amount;
      if (entry.type === "refund") totals.refunded += entry.amount;
      if (entry.type === "transfer") totals.transferred += entry.amount;
      if (entry.type === "transfer_reversal") totals.transferred -= entry.amount;
      totals.net += effect;
      account.data.balance[entry.currency] = totals;
      const id = randomStripeId("txn");
      await create(ctx, KIND.ledger, id, "available", { id, object: "ledger_entry", ...entry, balance_effect: effect, created } satisfies z.input<typeof ledgerEntryData>, { parent: entry.source });
    }
    await updateSandboxObject(ctx, account.row.id, { data: account.data });
  }

  async function paymentRow(ctx: ToolContext, paymentId: string) {
    const row = await find(ctx, KIND.payment, paymentId);
    if (!row) refuse({ type: "invalid_request_error", code: "resource_missing", param: "payment_intent", message: `No such payment_intent: '${paymentId}'` }, 404);
    return { row, data: read(paymentData, row) };
  }

  return {
    kind: "sandbox",

    createCustomer: (ctx, input: CreateCustomerInput, key) =>
      inLedger(ctx, async (tx) => {
        const id = derivedStripeId("cus", ctx.workspaceId, key);
        const existing = await find(tx, KIND.customer, id);
        if (existing) return presentCustomer(read(customerData, existing));
        const data = {
          id,
          object: "customer",
          name: input.name,
          email: input.email ?? null,
          description: input.description ?? null,
          created: toUnix(now()),
          livemode: false,
          metadata: workspaceMetadata(ctx, { [METADATA.event]: input.eventId }),
        } satisfies z.input<typeof customerData>;
        await create(tx, KIND.customer, id, "active", data, { key });
        return presentCustomer(data);
      }),

    createPaymentLink: (ctx, input: CreatePaymentLinkInput, key) =>
      inLedger(ctx, async (tx) => {
        const id = derivedStripeId("plink", ctx.workspaceId, key);
        const existing = await find(tx, KIND.paymentLink, id);
        if (existing) return presentLink(read(paymentLinkData, existing));
        const currency = toStripeCurrency(input.currency);
        checkChargeAmount(input.unitAmountMinor, currency, "line_items[0][price_data][unit_amount]");
        const data = {
          id,
          object: "payment_link",
          active: true,
          url: `${SANDBOX_HOST}/pay/${id}`,
          currency,
          created: toUnix(now()),
          livemode: false,
          line_items: {
            object: "list",
            data: [
              {
                id: randomStripeId("li"),
                object: "item",
                description: input.ticketName,
                quantity: 1,
                price: { id: randomStripeId("price"), object: "price", unit_amount: input.unitAmountMinor, currency, product: randomStripeId("prod") },
              },
            ],
          },
          restrictions: { completed_sessions: { count: 0, limit: input.quantityLimit } },
          payment_intent_data: {
            description: input.ticketName,
            metadata: workspaceMetadata(ctx, { [METADATA.purpose]: "registration", [METADATA.event]: input.eventId, [METADATA.ticketName]: input.ticketName }),
          },
          metadata: workspaceMetadata(ctx, { [METADATA.event]: input.eventId, [METADATA.ticketName]: input.ticketName, description: input.description }),
        } satisfies z.input<typeof paymentLinkData>;
        await create(tx, KIND.paymentLink, id, "active", data, { key });
        return presentLink(data);
      }),

    createInvoice: (ctx, input: CreateInvoiceInput, key) =>
      inLedger(ctx, async (tx) => {
        const id = derivedStripeId("in", ctx.workspaceId, key);
        const existing = await find(tx, KIND.invoice, id);
        if (existing) return presentInvoice(read(invoiceData, existing), input.customerId);
        const customerRow = await find(tx, KIND.customer, input.customerId);
        if (!customerRow) refuse({ type: "invalid_request_error", code: "resource_missing", param: "customer", message: `No such customer: '${input.customerId}'` }, 404);
        const customer = read(customerData, customerRow);
        if (!customer.email) throw missingEmail(customer.id);
        const currency = toStripeCurrency(input.currency);
        const lines = input.lineItems.map((line) => ({
          id: randomStripeId("il"),
          object: "line_item" as const,
          amount: line.unitAmountMinor * line.quantity,
          currency,
          description: line.description,
          quantity: line.quantity,
        }));
        const total = lines.reduce((sum, line) => sum + line.amount, 0);
        if (total > STRIPE_MAX_AMOUNT) refuse({ type: "invalid_request_error", code: "amount_too_large", param: "unit_amount_decimal", message: `Invoice total must be no more than ${stripeAmountText(STRIPE_MAX_AMOUNT, currency)}` });
        const account = await loadAccount(tx);
        const sequence = account.data.next_invoice_sequence;
        await updateSandboxObject(tx, account.row.id, { data: { ...account.data, next_invoice_sequence: sequence + 1 } });
        const created = now();
        const data = {
          id,
          object: "invoice",
          number: `${account.data.invoice_prefix}-${String(sequence).padStart(4, "0")}`,
          status: "open",
          collection_method: "send_invoice",
          customer: customer.id,
          customer_email: customer.email,
          customer_name: customer.name,
          currency,
          subtotal: total,
          total,
          amount_due: total,
          amount_paid: 0,
          amount_remaining: total,
          created: toUnix(created),
          due_date: toUnix(created) + input.daysUntilDue * 86_400,
          description: input.memo ?? null,
          hosted_invoice_url: `${SANDBOX_HOST}/invoices/${id}`,
          status_transitions: { finalized_at: toUnix(created) },
          livemode: false,
          lines: { object: "list", data: lines },
          metadata: workspaceMetadata(ctx, { [METADATA.event]: input.eventId }),
        } satisfies z.input<typeof invoiceData>;
        await create(tx, KIND.invoice, id, "open", data, { key, parent: customer.id });
        // Nothing is collected until the customer pays: the entry records what is owed.
        await post(tx, [{ type: "invoice", amount: total, currency, source: id, description: `Invoice ${data.number} sent to ${customer.email}` }]);
        return presentInvoice(data, customer.id);
      }),

    payVendorDeposit: (ctx, input: VendorDepositInput, key) =>
      inLedger(ctx, async (tx) => {
        const id = derivedStripeId("pi", ctx.workspaceId, key);
        const existing = await find(tx, KIND.payment, id);
        if (existing) return presentPayment(read(paymentData, existing));
        const currency = toStripeCurrency(input.currency);
        checkChargeAmount(input.amountMinor, currency, "amount");
        const chargeId = randomStripeId("ch");
        const data = {
          id,
          object: "payment_intent",
          amount: input.amountMinor,
          amount_received: input.amountMinor,
          currency,
          status: "succeeded",
          description: depositDescription(input),
          created: toUnix(now()),
          livemode: false,
          payment_method: COMPANY_CARD,
          latest_charge: { id: chargeId, object: "charge", amount: input.amountMinor, amount_refunded: 0, refunded: false, currency, status: "succeeded" },
          transfer_data: input.vendorStripeAccount ? { destination: input.vendorStripeAccount } : null,
          metadata: depositMetadata(ctx.workspaceId, input),
        } satisfies z.input<typeof paymentData>;
        await create(tx, KIND.payment, id, "succeeded", data, { key });
        const entries: LedgerPosting[] = [{ type: "charge", amount: input.amountMinor, currency, source: chargeId, description: data.description }];
        if (input.vendorStripeAccount) entries.push({ type: "transfer", amount: input.amountMinor, currency, source: chargeId, description: `Transfer to ${input.vendorStripeAccount} (${input.vendorName})` });
        await post(tx, entries);
        return presentPayment(data);
      }),

    refundPayment: (ctx, input: RefundPaymentInput, key) =>
      inLedger(ctx, async (tx) => {
        const id = derivedStripeId("re", ctx.workspaceId, key);
        const existing = await find(tx, KIND.refund, id);
        if (existing) {
          const refund = read(refundData, existing);
          return { refund: presentRefund(refund, refund.payment_intent), payment: presentPayment((await paymentRow(tx, refund.payment_intent)).data) };
        }
        const payment = await paymentRow(tx, input.paymentId);
        const charge = payment.data.latest_charge;
        if (payment.data.status !== "succeeded") {
          refuse({ type: "invalid_request_error", code: "payment_intent_unexpected_state", param: "payment_intent", message: `This PaymentIntent (${payment.data.id}) does not have a successful charge to refund.` });
        }
        assertRefundCurrency(payment.data.currency, input.currency);
        const remaining = charge.amount - charge.amount_refunded;
        if (remaining === 0) refuse({ type: "invalid_request_error", code: "charge_already_refunded", param: "payment_intent", message: `Charge ${charge.id} has already been refunded.` });
        if (input.amountMinor !== undefined && input.amountMinor > remaining) {
          refuse({
            type: "invalid_request_error",
            code: "amount_too_large",
            param: "amount",
            message: `Refund amount (${stripeAmountText(input.amountMinor, charge.currency)}) is greater than unrefunded amount on charge (${stripeAmountText(remaining, charge.currency)})`,
          });
        }
        const amount = input.amountMinor ?? remaining;
        if (input.amountMinor === undefined) assertWithinCap(amount, "amountMinor", input.maxAmountMinor, `a full refund of ${payment.data.id}`);
        const refund = {
          id,
          object: "refund",
          amount,
          currency: charge.currency,
          status: "succeeded",
          reason: input.reason ?? null,
          created: toUnix(now()),
          payment_intent: payment.data.id,
          charge: charge.id,
          metadata: workspaceMetadata(ctx, {}),
        } satisfies z.input<typeof refundData>;
        await create(tx, KIND.refund, id, "succeeded", refund, { key, parent: payment.data.id });
        const refunded = charge.amount_refunded + amount;
        const updated = { ...payment.data, latest_charge: { ...charge, amount_refunded: refunded, refunded: refunded === charge.amount } };
        await updateSandboxObject(tx, payment.row.id, { data: updated });
        const entries: LedgerPosting[] = [{ type: "refund", amount, currency: charge.currency, source: id, description: `Refund of ${payment.data.id}` }];
        // Like Stripe's reverse_transfer: the vendor's share of a destination charge comes back with the refund.
        const destination = payment.data.transfer_data?.destination;
        if (destination) entries.push({ type: "transfer_reversal", amount, currency: charge.currency, source: id, description: `Reversal of the transfer to ${destination}` });
        await post(tx, entries);
        return { refund: presentRefund(refund, payment.data.id), payment: presentPayment(updated) };
      }),

    async listPayments(ctx, input: ListPaymentsInput) {
      // The newest 200 (the sandbox store's page) are filtered here, as the SDK backend scans Stripe's newest.
      const rows = await listSandboxObjects(ctx, { service: SERVICE, kinds: [KIND.payment], limit: 200 });
      return rows
        .map((row) => presentPayment(read(paymentData, row)))
        .filter((payment) => (!input.purpose || payment.purpose === input.purpose) && (!input.eventId || payment.eventId === input.eventId))
        .slice(0, input.limit);
    },

    async getBalance(ctx): Promise<StripeBalanceLine[]> {
      const row = await find(ctx, KIND.account, ACCOUNT_ID);
      if (!row) return [];
      return Object.entries(read(accountData, row).balance)
        .map(([currency, totals]) => ({ currency: currency.toUpperCase(), collectedMinor: totals.collected, refundedMinor: totals.refunded, transferredMinor: totals.transferred, netMinor: totals.net }))
        .sort((a, b) => a.currency.localeCompare(b.currency));
    },
  };
}

function presentLink(link: z.infer<typeof paymentLinkData>): StripePaymentLink {
  const item = link.line_items.data[0];
  return {
    id: link.id,
    url: link.url,
    active: link.active,
    ticketName: item?.description ?? link.metadata[METADATA.ticketName] ?? "",
    description: link.metadata.description ?? null,
    unitAmountMinor: item?.price.unit_amount ?? 0,
    currency: link.currency.toUpperCase(),
    quantityLimit: link.restrictions.completed_sessions.limit,
    sold: link.restrictions.completed_sessions.count,
    eventId: link.metadata[METADATA.event] ?? null,
    created: fromUnix(link.created),
  };
}
