import { z } from "zod";
import { AppError, ValidationError } from "../../lib/errors.js";
import { currencyCode, email, minorUnits, uuid } from "../../lib/formats.js";
import { defineTool, type Tool, type ToolCallInfo } from "../host/tool.js";
import type { StripeBackend, StripeBalanceLine, StripeCustomer, StripeInvoice, StripePayment, StripePaymentLink, StripeRefund } from "./backend.js";
import { assertWithinCap, displayMinor } from "./money.js";

/** Tools over Stripe, shaped as a planner uses them: money is integer minor units with an ISO 4217 code. */

const moneyOutput = z.object({
  amountMinor: z.number().int().describe("integer minor units (cents; yen for JPY)"),
  currency: z.string().describe("ISO 4217"),
  display: z.string().describe("human-readable, e.g. €1,500.00"),
});
const money = (amountMinor: number, currency: string): z.infer<typeof moneyOutput> => ({ amountMinor, currency, display: displayMinor(amountMinor, currency) });

const amount = minorUnits.min(1, { error: "must be at least 1 minor unit" });
const eventTag = uuid.optional().describe("the event this belongs to (id from the postgres server's create_event), stored on the Stripe object so it can be found again");
const customerId = z.string().regex(/^cus_[A-Za-z0-9]+$/, { error: "must be a Stripe customer id (cus_…) returned by create_customer" });
const paymentId = z.string().regex(/^pi_[A-Za-z0-9]+$/, { error: "must be a Stripe payment id (pi_…) returned by pay_vendor_deposit or list_payments" });

const customerOutput = z.object({ id: z.string(), name: z.string().nullable(), email: z.string().nullable(), description: z.string().nullable(), eventId: z.string().nullable(), created: z.string() });
const presentCustomer = (c: StripeCustomer): z.infer<typeof customerOutput> => ({ ...c, created: c.created.toISOString() });

const paymentLinkOutput = z.object({
  id: z.string(),
  url: z.string().describe("the page attendees pay on; share it in the invitation"),
  active: z.boolean(),
  ticketName: z.string(),
  description: z.string().nullable(),
  unitPrice: moneyOutput,
  quantityLimit: z.number().int().nullable().describe("tickets that can be sold; the link stops accepting payments after that many"),
  sold: z.number().int(),
  eventId: z.string().nullable(),
  created: z.string(),
});
const presentLink = (l: StripePaymentLink): z.infer<typeof paymentLinkOutput> => ({
  id: l.id,
  url: l.url,
  active: l.active,
  ticketName: l.ticketName,
  description: l.description,
  unitPrice: money(l.unitAmountMinor, l.currency),
  quantityLimit: l.quantityLimit,
  sold: l.sold,
  eventId: l.eventId,
  created: l.created.toISOString(),
});

const invoiceOutput = z.object({
  id: z.string(),
  number: z.string().nullable(),
  status: z.string().describe("Stripe's: draft, open (sent, awaiting payment), paid, uncollectible, void"),
  customerId: z.string(),
  customerEmail: z.string().nullable(),
  total: moneyOutput,
  amountDue: moneyOutput,
  amountPaid: moneyOutput,
  dueDate: z.string().nullable(),
  hostedInvoiceUrl: z.string().nullable(),
  memo: z.string().nullable(),
  lines: z.array(z.object({ description: z.string(), quantity: z.number().int(), unitPrice: moneyOutput, amount: moneyOutput })),
  eventId: z.string().nullable(),
  created: z.string(),
});
const presentInvoice = (i: StripeInvoice): z.infer<typeof invoiceOutput> => ({
  id: i.id,
  number: i.number,
  status: i.status,
  customerId: i.customerId,
  customerEmail: i.customerEmail,
  total: money(i.totalMinor, i.currency),
  amountDue: money(i.amountDueMinor, i.currency),
  amountPaid: money(i.amountPaidMinor, i.currency),
  dueDate: i.dueDate?.toISOString() ?? null,
  hostedInvoiceUrl: i.hostedInvoiceUrl,
  memo: i.memo,
  lines: i.lines.map((line) => ({ description: line.description, quantity: line.quantity, unitPrice: money(line.unitAmountMinor, i.currency), amount: money(line.amountMinor, i.currency) })),
  eventId: i.eventId,
  created: i.created.toISOString(),
});

const paymentOutput = z.object({
  id: z.string(),
  purpose: z.enum(["vendor_deposit", "registration", "other"]),
  status: z.string().describe("Stripe's PaymentIntent status; only succeeded means the money moved"),
  amount: moneyOutput,
  received: moneyOutput,
  refunded: moneyOutput,
  refundable: moneyOutput.describe("what refund_payment can still give back"),
  description: z.string().nullable(),
  vendorName: z.string().nullable(),
  vendorReference: z.string().nullable(),
  fundsTo: z
    .enum(["vendor_stripe_account", "this_stripe_account"])
    .describe("vendor_stripe_account: Stripe passed the money on to the vendor; this_stripe_account: it stays in our Stripe balance and the vendor is paid outside Stripe"),
  vendorStripeAccount: z.string().nullable(),
  eventId: z.string().nullable(),
  created: z.string(),
});
const presentPayment = (p: StripePayment): z.infer<typeof paymentOutput> => ({
  id: p.id,
  purpose: p.purpose,
  status: p.status,
  amount: money(p.amountMinor, p.currency),
  received: money(p.amountReceivedMinor, p.currency),
  refunded: money(p.amountRefundedMinor, p.currency),
  refundable: money(p.status === "succeeded" ? Math.max(p.amountReceivedMinor - p.amountRefundedMinor, 0) : 0, p.currency),
  description: p.description,
  vendorName: p.vendorName,
  vendorReference: p.vendorReference,
  fundsTo: p.destination ? "vendor_stripe_account" : "this_stripe_account",
  vendorStripeAccount: p.destination,
  eventId: p.eventId,
  created: p.created.toISOString(),
});

const refundOutput = z.object({ id: z.string(), paymentId: z.string(), amount: moneyOutput, status: z.string().describe("Stripe's: pending, succeeded, failed, canceled"), reason: z.string().nullable(), created: z.string() });
const presentRefund = (r: StripeRefund): z.infer<typeof refundOutput> => ({ id: r.id, paymentId: r.paymentId, amount: money(r.amountMinor, r.currency), status: r.status, reason: r.reason, created: r.created.toISOString() });

const balanceOutput = z.object({ currency: z.string(), collected: moneyOutput, refunded: moneyOutput, transferredToVendors: moneyOutput, net: moneyOutput });
const presentBalance = (b: StripeBalanceLine): z.infer<typeof balanceOutput> => ({
  currency: b.currency,
  collected: money(b.collectedMinor, b.currency),
  refunded: money(b.refundedMinor, b.currency),
  transferredToVendors: money(b.transferredMinor, b.currency),
  net: money(b.netMinor, b.currency),
});

/** The host hands every side-effect tool its key; Stripe and the sandbox both need it to act once. */
function keyOf(call: ToolCallInfo): string {
  if (!call.idempotencyKey) throw new AppError("internal", "a Stripe side effect was called without its idempotency key");
  return call.idempotencyKey;
}

const WRITE = { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;
const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true } as const;

export interface StripeToolOptions {
  /** STRIPE_MAX_AMOUNT_MINOR: the most one call may charge, invoice, price or refund. */
  maxAmountMinor: number;
}

export function stripeTools(backend: StripeBackend, options: StripeToolOptions): Tool[] {
  const cap = options.maxAmountMinor;
  const capNote = `At most ${cap} minor units per call (STRIPE_MAX_AMOUNT_MINOR); a larger amount is refused before it reaches Stripe.`;
  return [
    defineTool({
      name: "create_customer",
      title: "Create Stripe customer",
      description:
        "Create a Stripe customer for a sponsor or client you will invoice. Give the billing contact's email: create_invoice emails the invoice to it and refuses a customer without one. Returns the customer with its id (cus_…).",
      input: {
        name: z.string().trim().min(1).max(256).describe("company or person billed, e.g. 'Acme Corp'"),
        email: email.optional().describe("where invoices are sent"),
        description: z.string().trim().min(1).max(500).optional().describe("e.g. 'Gold sponsor, Lisbon offsite 2027'"),
        eventId: eventTag,
      },
      output: { customer: customerOutput },
      annotations: WRITE,
      sideEffect: true,
      effect: "external",
      retrySafe: true,
      handler: async (ctx, input, call) => ({ customer: presentCustomer(await backend.createCustomer(ctx, input, keyOf(call))) }),
    }),
    defineTool({
      name: "create_payment_link",
      title: "Create ticket payment link",
      description:
        "Create a Stripe payment link attendees use to register and pay for a ticket: one ticket per checkout at a fixed unit price, closing after quantityLimit tickets are sold. Returns the link's url to put in invitations. " +
        capNote,
      input: {
        ticketName: z.string().trim().min(1).max(200).describe("what the attendee buys, e.g. 'Lisbon offsite 2027 – full pass'"),
        description: z.string().trim().min(1).max(500).optional().describe("shown under the ticket name on the payment page"),
        unitAmountMinor: amount.describe("price of one ticket in integer minor units of `currency` (EUR 120 = 12000)"),
        currency: currencyCode.describe("ISO 4217, e.g. EUR"),
        quantityLimit: z.number().int().min(1).max(10_000).describe("how many tickets can be sold in total"),
        eventId: eventTag,
      },
      output: { paymentLink: paymentLinkOutput },
      annotations: WRITE,
      sideEffect: true,
      effect: "external",
      retrySafe: true,
      handler: async (ctx, input, call) => {
        assertWithinCap(input.unitAmountMinor, "unitAmountMinor", cap, "one ticket");
        return { paymentLink: presentLink(await backend.createPaymentLink(ctx, input, keyOf(call))) };
      },
    }),
    defineTool({
      name: "create_invoice",
      title: "Create and send invoice",
      description:
        "Invoice a sponsor or client: creates a Stripe invoice for a customer from create_customer with the given lines, finalizes it and emails it to the customer, payable within daysUntilDue days. Returns the invoice with its number, total and hosted payment page. " +
        capNote +
        " The cap applies to the invoice total.",
      input: {
        customerId: customerId.describe("the cus_… id from create_customer"),
        currency: currencyCode.describe("ISO 4217; every line is in it"),
        lineItems: z
          .array(
            z
              .object({
                description: z.string().trim().min(1).max(500).describe("e.g. 'Gold sponsorship package'"),
                unitAmountMinor: amount.describe("price of one unit in integer minor units"),
                quantity: z.number().int().min(1).max(10_000).default(1),
              })
              .strict(),
          )
          .min(1, { error: "must have at least one line" })
          .max(10, { error: "must have at most 10 lines" }),
        daysUntilDue: z.number().int().min(1).max(365).default(30).describe("days the customer has to pay"),
        memo: z.string().trim().min(1).max(1000).optional().describe("note printed on the invoice"),
        eventId: eventTag,
      },
      output: { invoice: invoiceOutput },
      annotations: WRITE,
      sideEffect: true,
      effect: "external",
      retrySafe: true,
      handler: async (ctx, input, call) => {
        const total = input.lineItems.reduce((sum, line) => sum + line.unitAmountMinor * line.quantity, 0);
        assertWithinCap(total, "lineItems", cap, "the invoice total");
        return { invoice: presentInvoice(await backend.createInvoice(ctx, input, keyOf(call))) };
      },
    }),
    defineTool({
      name: "pay_vendor_deposit",
      title: "Pay vendor deposit",
      description:
        "Pay a vendor's deposit (venue, caterer …) through Stripe: charges the company's payment method on file and confirms at once. With the vendor's connected Stripe account (vendorStripeAccount, acct_…) Stripe passes the money on to the vendor (fundsTo: vendor_stripe_account); without it the charge stays in our Stripe balance and the vendor is paid outside Stripe (fundsTo: this_stripe_account). Returns the payment (pi_…), which refund_payment can refund. " +
        capNote,
      input: {
        vendorName: z.string().trim().min(1).max(200).describe("who is paid, e.g. 'Tagus Riverside Hall'"),
        vendorReference: z.string().trim().min(1).max(200).optional().describe("the vendor's quote or invoice number, or our quote id"),
        description: z.string().trim().min(1).max(500).describe("what the deposit secures, e.g. '30% deposit, venue 30–31 March'"),
        amountMinor: amount.describe("integer minor units of `currency` (EUR 1,500 = 150000)"),
        currency: currencyCode.describe("ISO 4217, e.g. EUR"),
        vendorStripeAccount: z
          .string()
          .regex(/^acct_[A-Za-z0-9]+$/, { error: "must be a Stripe connected account id (acct_…)" })
          .optional()
          .describe("the vendor's connected Stripe account, when they have one"),
        eventId: eventTag,
      },
      output: { payment: paymentOutput },
      annotations: WRITE,
      sideEffect: true,
      effect: "external",
      retrySafe: true,
      handler: async (ctx, input, call) => {
        assertWithinCap(input.amountMinor, "amountMinor", cap, "a deposit");
        return { payment: presentPayment(await backend.payVendorDeposit(ctx, input, keyOf(call))) };
      },
    }),
    defineTool({
      name: "refund_payment",
      title: "Refund payment",
      description:
        "Refund a payment (pi_…) in full or in part: omit amountMinor to refund everything still refundable. Money goes back to whoever paid; a refund cannot be undone. Stripe refuses more than what remains refundable. " +
        capNote,
      input: {
        paymentId: paymentId,
        amountMinor: amount.optional().describe("part to refund in integer minor units of the payment's currency; omit for a full refund"),
        currency: currencyCode.optional().describe("ISO 4217; required with amountMinor and must be the payment's currency"),
        reason: z.enum(["duplicate", "fraudulent", "requested_by_customer"]).optional(),
      },
      output: { refund: refundOutput, payment: paymentOutput },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
      sideEffect: true,
      effect: "external",
      retrySafe: true,
      handler: async (ctx, input, call) => {
        if (input.amountMinor !== undefined) {
          if (!input.currency) throw new ValidationError("currency: is required with amountMinor, so the amount cannot be read in the wrong currency", { field: "currency" });
          assertWithinCap(input.amountMinor, "amountMinor", cap, "a refund");
        }
        const { refund, payment } = await backend.refundPayment(ctx, { ...input, maxAmountMinor: cap }, keyOf(call));
        return { refund: presentRefund(refund), payment: presentPayment(payment) };
      },
    }),
    defineTool({
      name: "list_payments",
      title: "List payments",
      description:
        "This workspace's Stripe payments, newest first: vendor deposits and ticket sales from payment links, each with what was received, refunded and is still refundable. Filter by purpose or event.",
      input: {
        purpose: z.enum(["vendor_deposit", "registration", "other"]).optional(),
        eventId: uuid.optional().describe("only payments tagged with this event"),
        limit: z.number().int().min(1).max(100).default(20),
      },
      output: { payments: z.array(paymentOutput) },
      annotations: READ,
      sideEffect: false,
      handler: async (ctx, input) => ({ payments: (await backend.listPayments(ctx, input)).map(presentPayment) }),
    }),
    defineTool({
      name: "get_balance",
      title: "Stripe balance",
      description:
        "What this workspace's Stripe payments add up to, per currency: collected, refunded, passed on to vendors, and the net that stays in the Stripe balance (before Stripe fees). Other workspaces sharing the Stripe account are not counted.",
      input: {},
      output: { scope: z.literal("workspace"), balances: z.array(balanceOutput) },
      annotations: READ,
      sideEffect: false,
      handler: async (ctx) => ({ scope: "workspace" as const, balances: (await backend.getBalance(ctx)).map(presentBalance) }),
    }),
  ];
}
