import Stripe from "stripe";
import { AppError } from "../../../lib/errors.js";
import type { ToolContext } from "../../host/context.js";
import {
  METADATA,
  type CreateCustomerInput,
  type CreateInvoiceInput,
  type CreatePaymentLinkInput,
  type ListPaymentsInput,
  type RefundPaymentInput,
  type StripeBackend,
  type StripePayment,
  type VendorDepositInput,
} from "../backend.js";
import { missingEmail, stripeError } from "../errors.js";
import { stripeIdempotencyKey } from "../ids.js";
import { assertRefundCurrency, assertWithinCap, toStripeCurrency } from "../money.js";
import { balanceFromPayments, depositDescription, depositMetadata, presentCustomer, presentInvoice, presentPayment, presentRefund, stripeMetadata } from "../objects.js";

/**
 * The Stripe API through the official SDK. Every object we create carries metadata.workspace_id;
 * lookups of another workspace's object answer as Stripe does for a missing one, and lists keep
 * only this workspace's. Every creating request sends the caller's idempotency key (prefixed with
 * the workspace, see ids.ts) as Stripe's Idempotency-Key, so a retried tool call is replayed by
 * Stripe instead of charging twice.
 *
 * A vendor deposit is a PaymentIntent charged to the company's payment method and confirmed at
 * once. With the vendor's connected account (acct_…) it is a destination charge: Stripe moves the
 * funds on to the vendor. Without one, Stripe records and receipts the charge in this account's
 * balance, and settling with the vendor happens outside Stripe; the tool says which.
 */

export interface StripeSdkOptions {
  secretKey: string;
  /** STRIPE_BASE_URL: scheme, host and port of a stand-in API (a path is not supported by the SDK). */
  baseUrl?: string;
  /** The company's PaymentMethod that deposits are charged to (pm_card_visa in test mode). */
  depositPaymentMethod?: string;
  /** The SDK's own retries of network errors and 5xx, each with the same Idempotency-Key. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
  /** How many of the account's newest PaymentIntents list_payments and get_balance look through for this workspace's. */
  scanLimit?: number;
}

function sdkConfig(options: StripeSdkOptions): ConstructorParameters<typeof Stripe>[1] {
  const config: ConstructorParameters<typeof Stripe>[1] = {
    maxNetworkRetries: options.maxNetworkRetries ?? 2,
    timeout: options.timeoutMs ?? 30_000,
    telemetry: false,
    appInfo: { name: "event-planner-agent" },
  };
  if (!options.baseUrl) return config;
  const url = new URL(options.baseUrl);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return { ...config, host: url.hostname, port: url.port || (protocol === "http" ? 80 : 443), protocol };
}

/**
 * Stripe's error (or a network failure) as our AppError; anything else is a bug and stays as it is.
 * A retrieve names the missing object's `id` in the URL: `idParam` says which parameter that was.
 */
export function fromSdkError(error: unknown, idParam?: string): unknown {
  if (error instanceof AppError) return error;
  if (!(error instanceof Stripe.errors.StripeError)) return error;
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new AppError("upstream_failed", "Could not reach Stripe; retry later with the same idempotency_key, Stripe will not act twice", { stripeType: "connection_error" }, { cause: error });
  }
  const retryAfter = Number(error.headers?.["retry-after"]);
  return stripeError(
    { type: error.rawType ?? "api_error", code: error.code, message: error.message, param: error.param === "id" && idParam ? idParam : error.param, decline_code: error.decline_code },
    { status: error.statusCode, retryAfterSeconds: Number.isFinite(retryAfter) ? retryAfter : undefined },
  );
}

async function call<T>(request: () => Promise<T>, idParam?: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw fromSdkError(error, idParam);
  }
}

const missing = (param: string, object: string, id: string) => stripeError({ type: "invalid_request_error", code: "resource_missing", param, message: `No such ${object}: '${id}'` }, { status: 404 });

export function createStripeSdkBackend(options: StripeSdkOptions): StripeBackend {
  const stripe = new Stripe(options.secretKey, sdkConfig(options));
  const scanLimit = options.scanLimit ?? 1000;
  const keyFor = (ctx: ToolContext, key: string, step?: string) => ({ idempotencyKey: stripeIdempotencyKey(ctx.workspaceId, key, step) });

  async function ownPayment(ctx: ToolContext, paymentId: string): Promise<Stripe.PaymentIntent> {
    const intent = await call(() => stripe.paymentIntents.retrieve(paymentId, { expand: ["latest_charge"] }), "payment_intent");
    if (intent.metadata[METADATA.workspace] !== ctx.workspaceId) throw missing("payment_intent", "payment_intent", paymentId);
    return intent;
  }

  /** This workspace's PaymentIntents among the account's newest `scanLimit`, newest first. */
  async function ownPayments(ctx: ToolContext, keep: (payment: StripePayment) => boolean, limit: number): Promise<StripePayment[]> {
    const found: StripePayment[] = [];
    let scanned = 0;
    try {
      for await (const intent of stripe.paymentIntents.list({ limit: 100, expand: ["data.latest_charge"] })) {
        if (++scanned > scanLimit) break;
        if (intent.metadata[METADATA.workspace] !== ctx.workspaceId) continue;
        const payment = presentPayment(intent);
        if (!keep(payment)) continue;
        found.push(payment);
        if (found.length >= limit) break;
      }
    } catch (error) {
      throw fromSdkError(error);
    }
    return found;
  }

  return {
    kind: "stripe",

    async createCustomer(ctx, input: CreateCustomerInput, key) {
      const customer = await call(() =>
        stripe.customers.create(
          { name: input.name, email: input.email, description: input.description, metadata: stripeMetadata(ctx.workspaceId, { [METADATA.event]: input.eventId }) },
          keyFor(ctx, key),
        ),
      );
      return presentCustomer(customer);
    },

    async createPaymentLink(ctx, input: CreatePaymentLinkInput, key) {
      const currency = toStripeCurrency(input.currency);
      const link = await call(() =>
        stripe.paymentLinks.create(
          {
            // One ticket per checkout, so the completed-sessions limit is the number of tickets.
            line_items: [{ quantity: 1, price_data: { currency, unit_amount: input.unitAmountMinor, product_data: { name: input.ticketName, ...(input.description ? { description: input.description } : {}) } } }],
            restrictions: { completed_sessions: { limit: input.quantityLimit } },
            metadata: stripeMetadata(ctx.workspaceId, { [METADATA.event]: input.eventId, [METADATA.ticketName]: input.ticketName }),
            payment_intent_data: {
              description: input.ticketName,
              metadata: stripeMetadata(ctx.workspaceId, { [METADATA.purpose]: "registration", [METADATA.event]: input.eventId, [METADATA.ticketName]: input.ticketName }),
            },
          },
          keyFor(ctx, key),
        ),
      );
      return {
        id: link.id,
        url: link.url,
        active: link.active,
        ticketName: input.ticketName,
        description: input.description ?? null,
        unitAmountMinor: input.unitAmountMinor,
        currency: input.currency,
        quantityLimit: link.restrictions?.completed_sessions.limit ?? input.quantityLimit,
        sold: link.restrictions?.completed_sessions.count ?? 0,
        eventId: input.eventId ?? null,
        // A payment link has no `created` in Stripe's API: this is when we made it.
        created: new Date(),
      };
    },

    async createInvoice(ctx, input: CreateInvoiceInput, key) {
      const customer = await call(() => stripe.customers.retrieve(input.customerId), "customer");
      if ("deleted" in customer || customer.metadata[METADATA.workspace] !== ctx.workspaceId) throw missing("customer", "customer", input.customerId);
      if (!customer.email) throw missingEmail(customer.id);
      const currency = toStripeCurrency(input.currency);
      const metadata = stripeMetadata(ctx.workspaceId, { [METADATA.event]: input.eventId });
      // Four requests, each with its own derived key: a retry after a crash replays the finished
      // steps from Stripe and completes the rest, so the sponsor gets one invoice, sent once.
      const draft = await call(() =>
        stripe.invoices.create(
          {
            customer: customer.id,
            collection_method: "send_invoice",
            days_until_due: input.daysUntilDue,
            currency,
            description: input.memo,
            pending_invoice_items_behavior: "exclude",
            auto_advance: false,
            metadata,
          },
          keyFor(ctx, key, "invoice"),
        ),
      );
      for (const [index, line] of input.lineItems.entries()) {
        await call(() =>
          stripe.invoiceItems.create(
            { customer: customer.id, invoice: draft.id, currency, description: line.description, quantity: line.quantity, unit_amount_decimal: Stripe.Decimal.from(line.unitAmountMinor), metadata },
            keyFor(ctx, key, `line-${index}`),
          ),
        );
      }
      await call(() => stripe.invoices.finalizeInvoice(draft.id, { auto_advance: false }, keyFor(ctx, key, "finalize")));
      const sent = await call(() => stripe.invoices.sendInvoice(draft.id, {}, keyFor(ctx, key, "send")));
      return presentInvoice(sent, customer.id);
    },

    async payVendorDeposit(ctx, input: VendorDepositInput, key) {
      const paymentMethod = options.depositPaymentMethod;
      if (!paymentMethod) {
        throw new AppError("config_invalid", "pay_vendor_deposit needs the company's Stripe payment method to charge, and none is configured for this live key; nothing was charged. An operator must configure one.");
      }
      const intent = await call(() =>
        stripe.paymentIntents.create(
          {
            amount: input.amountMinor,
            currency: toStripeCurrency(input.currency),
            confirm: true,
            payment_method: paymentMethod,
            // Server-side confirmation: a payment method that needs a redirect is refused rather than left waiting.
            automatic_payment_methods: { enabled: true, allow_redirects: "never" },
            description: depositDescription(input),
            metadata: depositMetadata(ctx.workspaceId, input),
            ...(input.vendorStripeAccount ? { transfer_data: { destination: input.vendorStripeAccount } } : {}),
            expand: ["latest_charge"],
          },
          keyFor(ctx, key),
        ),
      );
      return presentPayment(intent);
    },

    async refundPayment(ctx, input: RefundPaymentInput, key) {
      const intent = await ownPayment(ctx, input.paymentId);
      assertRefundCurrency(intent.currency, input.currency);
      if (input.amountMinor === undefined) {
        const remaining = intent.amount_received - presentPayment(intent).amountRefundedMinor;
        assertWithinCap(remaining, "amountMinor", input.maxAmountMinor, `a full refund of ${intent.id}`);
      }
      const refund = await call(() =>
        stripe.refunds.create(
          {
            payment_intent: intent.id,
            ...(input.amountMinor !== undefined ? { amount: input.amountMinor } : {}),
            ...(input.reason ? { reason: input.reason } : {}),
            // The vendor's share of a destination charge comes back with its refund.
            ...(intent.transfer_data ? { reverse_transfer: true } : {}),
            metadata: stripeMetadata(ctx.workspaceId, {}),
          },
          keyFor(ctx, key),
        ),
      );
      return { refund: presentRefund(refund, intent.id), payment: presentPayment(await ownPayment(ctx, intent.id)) };
    },

    listPayments: (ctx, input: ListPaymentsInput) =>
      ownPayments(ctx, (payment) => (!input.purpose || payment.purpose === input.purpose) && (!input.eventId || payment.eventId === input.eventId), input.limit),

    async getBalance(ctx) {
      return balanceFromPayments(await ownPayments(ctx, (payment) => payment.status === "succeeded", Number.POSITIVE_INFINITY));
    },
  };
}
