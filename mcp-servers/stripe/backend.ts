import type { ToolContext } from "../host/context.js";

/**
 * What the stripe tools need from Stripe. Two implementations: the API through the `stripe` SDK (a
 * secret key is configured) and the sandbox, which keeps Stripe-shaped customers, payment links,
 * invoices, PaymentIntents, refunds and a ledger in sandbox_objects. Both hand out Stripe's ids
 * (cus_…, plink_…, in_…, pi_…, re_…) and raise Stripe's errors through errors.ts, so a tool cannot
 * tell them apart. Currencies are upper-case ISO 4217 here; each backend lowers them for the wire.
 */

/** Why a payment exists, from the metadata we set on it. */
export type PaymentPurpose = "vendor_deposit" | "registration" | "other";

export interface StripeCustomer {
  id: string;
  name: string | null;
  email: string | null;
  description: string | null;
  eventId: string | null;
  created: Date;
}

export interface StripePaymentLink {
  id: string;
  url: string;
  active: boolean;
  ticketName: string;
  description: string | null;
  unitAmountMinor: number;
  currency: string;
  quantityLimit: number | null;
  sold: number;
  eventId: string | null;
  created: Date;
}

export interface StripeInvoiceLine {
  description: string;
  quantity: number;
  unitAmountMinor: number;
  amountMinor: number;
}

export interface StripeInvoice {
  id: string;
  number: string | null;
  /** Stripe's: draft, open, paid, uncollectible, void. */
  status: string;
  customerId: string;
  customerEmail: string | null;
  currency: string;
  totalMinor: number;
  amountDueMinor: number;
  amountPaidMinor: number;
  dueDate: Date | null;
  hostedInvoiceUrl: string | null;
  memo: string | null;
  lines: StripeInvoiceLine[];
  eventId: string | null;
  created: Date;
}

export interface StripePayment {
  id: string;
  purpose: PaymentPurpose;
  /** Stripe's PaymentIntent status: succeeded, processing, requires_action, requires_payment_method, canceled … */
  status: string;
  currency: string;
  amountMinor: number;
  amountReceivedMinor: number;
  amountRefundedMinor: number;
  description: string | null;
  vendorName: string | null;
  vendorReference: string | null;
  /** The vendor's connected Stripe account the funds were routed to (a destination charge), if any. */
  destination: string | null;
  chargeId: string | null;
  eventId: string | null;
  created: Date;
}

export interface StripeRefund {
  id: string;
  paymentId: string;
  chargeId: string | null;
  currency: string;
  amountMinor: number;
  /** Stripe's: pending, requires_action, succeeded, failed, canceled. */
  status: string;
  reason: string | null;
  created: Date;
}

export interface StripeBalanceLine {
  currency: string;
  /** Received by this workspace's succeeded payments. */
  collectedMinor: number;
  refundedMinor: number;
  /** Passed on to vendors' connected accounts by destination charges, net of reversals. */
  transferredMinor: number;
  /** What stays in the Stripe balance from this workspace's activity, before Stripe fees. */
  netMinor: number;
}

export interface CreateCustomerInput {
  name: string;
  email?: string;
  description?: string;
  eventId?: string;
}

export interface CreatePaymentLinkInput {
  ticketName: string;
  description?: string;
  unitAmountMinor: number;
  currency: string;
  /** How many tickets may be sold: one ticket per completed checkout. */
  quantityLimit: number;
  eventId?: string;
}

export interface CreateInvoiceInput {
  customerId: string;
  currency: string;
  lineItems: { description: string; unitAmountMinor: number; quantity: number }[];
  daysUntilDue: number;
  memo?: string;
  eventId?: string;
}

export interface VendorDepositInput {
  vendorName: string;
  vendorReference?: string;
  description: string;
  amountMinor: number;
  currency: string;
  vendorStripeAccount?: string;
  eventId?: string;
}

export interface RefundPaymentInput {
  paymentId: string;
  /** Omitted: everything still refundable. */
  amountMinor?: number;
  /** When given, must be the payment's currency. */
  currency?: string;
  reason?: "duplicate" | "fraudulent" | "requested_by_customer";
  /** The per-call cap, checked against a full refund's amount once the backend knows it. */
  maxAmountMinor: number;
}

export interface ListPaymentsInput {
  limit: number;
  purpose?: PaymentPurpose;
  eventId?: string;
}

export interface StripeBackend {
  readonly kind: "sandbox" | "stripe";
  createCustomer(ctx: ToolContext, input: CreateCustomerInput, idempotencyKey: string): Promise<StripeCustomer>;
  createPaymentLink(ctx: ToolContext, input: CreatePaymentLinkInput, idempotencyKey: string): Promise<StripePaymentLink>;
  /** Creates, finalizes and sends the invoice (collection by email, due in `daysUntilDue`). */
  createInvoice(ctx: ToolContext, input: CreateInvoiceInput, idempotencyKey: string): Promise<StripeInvoice>;
  payVendorDeposit(ctx: ToolContext, input: VendorDepositInput, idempotencyKey: string): Promise<StripePayment>;
  refundPayment(ctx: ToolContext, input: RefundPaymentInput, idempotencyKey: string): Promise<{ refund: StripeRefund; payment: StripePayment }>;
  /** Newest first, only this workspace's. */
  listPayments(ctx: ToolContext, input: ListPaymentsInput): Promise<StripePayment[]>;
  /** Per currency, from this workspace's own payments and refunds. */
  getBalance(ctx: ToolContext): Promise<StripeBalanceLine[]>;
}

/** Metadata keys set on every object we create in Stripe. */
export const METADATA = {
  workspace: "workspace_id",
  event: "event_id",
  purpose: "purpose",
  vendorName: "vendor_name",
  vendorReference: "vendor_reference",
  ticketName: "ticket_name",
} as const;
