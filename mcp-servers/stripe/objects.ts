import { METADATA, type PaymentPurpose, type StripeBalanceLine, type StripeCustomer, type StripeInvoice, type StripePayment, type StripeRefund, type VendorDepositInput } from "./backend.js";
import { fromStripeCurrency } from "./money.js";

/**
 * Stripe objects as both backends hold them: the SDK's types and the sandbox's stored JSON share
 * these shapes (the fields we read), so one set of presenters turns either into the tools' views.
 */

type Metadata = Record<string, string> | null;
type Ref = string | { id: string } | null;

export interface CustomerLike {
  id: string;
  name?: string | null;
  email: string | null;
  description: string | null;
  created: number;
  metadata: Metadata;
}

export interface ChargeLike {
  id: string;
  amount_refunded: number;
  refunded: boolean;
}

export interface PaymentIntentLike {
  id: string;
  amount: number;
  amount_received: number;
  currency: string;
  status: string;
  description: string | null;
  created: number;
  metadata: Metadata;
  latest_charge: string | ChargeLike | null;
  transfer_data?: { destination: string | { id: string } } | null;
}

export interface RefundLike {
  id: string;
  amount: number;
  currency: string;
  status: string | null;
  reason: string | null;
  created: number;
  payment_intent: Ref;
  charge: Ref;
}

export interface InvoiceLineLike {
  amount: number;
  description: string | null;
  quantity: number | null;
}

export interface InvoiceLike {
  id: string;
  number: string | null;
  status: string | null;
  customer: Ref;
  customer_email: string | null;
  currency: string;
  total: number;
  amount_due: number;
  amount_paid: number;
  due_date: number | null;
  hosted_invoice_url?: string | null;
  description: string | null;
  metadata: Metadata;
  created: number;
  lines: { data: InvoiceLineLike[] };
}

export const fromUnix = (seconds: number): Date => new Date(seconds * 1000);
export const toUnix = (date: Date): number => Math.floor(date.getTime() / 1000);

const idOf = (ref: Ref): string | null => (ref === null ? null : typeof ref === "string" ? ref : ref.id);
const meta = (metadata: Metadata, key: string): string | null => metadata?.[key] ?? null;

export function presentCustomer(customer: CustomerLike): StripeCustomer {
  return {
    id: customer.id,
    name: customer.name ?? null,
    email: customer.email,
    description: customer.description,
    eventId: meta(customer.metadata, METADATA.event),
    created: fromUnix(customer.created),
  };
}

function purposeOf(metadata: Metadata): PaymentPurpose {
  const purpose = meta(metadata, METADATA.purpose);
  return purpose === "vendor_deposit" || purpose === "registration" ? purpose : "other";
}

export function presentPayment(intent: PaymentIntentLike): StripePayment {
  const charge = typeof intent.latest_charge === "object" ? intent.latest_charge : null;
  const destination = intent.transfer_data ? idOf(intent.transfer_data.destination) : null;
  return {
    id: intent.id,
    purpose: purposeOf(intent.metadata),
    status: intent.status,
    currency: fromStripeCurrency(intent.currency),
    amountMinor: intent.amount,
    amountReceivedMinor: intent.amount_received,
    amountRefundedMinor: charge?.amount_refunded ?? 0,
    description: intent.description,
    vendorName: meta(intent.metadata, METADATA.vendorName),
    vendorReference: meta(intent.metadata, METADATA.vendorReference),
    destination,
    chargeId: idOf(intent.latest_charge),
    eventId: meta(intent.metadata, METADATA.event),
    created: fromUnix(intent.created),
  };
}

export function presentRefund(refund: RefundLike, paymentId: string): StripeRefund {
  return {
    id: refund.id,
    paymentId: idOf(refund.payment_intent) ?? paymentId,
    chargeId: idOf(refund.charge),
    currency: fromStripeCurrency(refund.currency),
    amountMinor: refund.amount,
    status: refund.status ?? "pending",
    reason: refund.reason,
    created: fromUnix(refund.created),
  };
}

export function presentInvoice(invoice: InvoiceLike, customerId: string): StripeInvoice {
  return {
    id: invoice.id,
    number: invoice.number,
    status: invoice.status ?? "draft",
    customerId: idOf(invoice.customer) ?? customerId,
    customerEmail: invoice.customer_email,
    currency: fromStripeCurrency(invoice.currency),
    totalMinor: invoice.total,
    amountDueMinor: invoice.amount_due,
    amountPaidMinor: invoice.amount_paid,
    dueDate: invoice.due_date === null ? null : fromUnix(invoice.due_date),
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    memo: invoice.description,
    lines: invoice.lines.data.map((line) => {
      const quantity = line.quantity ?? 1;
      return { description: line.description ?? "", quantity, unitAmountMinor: Math.round(line.amount / Math.max(quantity, 1)), amountMinor: line.amount };
    }),
    eventId: meta(invoice.metadata, METADATA.event),
    created: fromUnix(invoice.created),
  };
}

/**
 * A workspace's share of the Stripe balance from its own payments: what they received, minus
 * refunds, minus what destination charges passed on to vendors (a refund reverses that transfer).
 * The SDK backend adds these up from PaymentIntents; the sandbox keeps them in its ledger.
 */
export function balanceFromPayments(payments: StripePayment[]): StripeBalanceLine[] {
  const lines = new Map<string, StripeBalanceLine>();
  for (const payment of payments) {
    if (payment.amountReceivedMinor === 0) continue;
    const line = lines.get(payment.currency) ?? { currency: payment.currency, collectedMinor: 0, refundedMinor: 0, transferredMinor: 0, netMinor: 0 };
    line.collectedMinor += payment.amountReceivedMinor;
    line.refundedMinor += payment.amountRefundedMinor;
    if (payment.destination) line.transferredMinor += payment.amountReceivedMinor - payment.amountRefundedMinor;
    line.netMinor = line.collectedMinor - line.refundedMinor - line.transferredMinor;
    lines.set(payment.currency, line);
  }
  return [...lines.values()].sort((a, b) => a.currency.localeCompare(b.currency));
}

/** Every object we create in Stripe carries its workspace, so lists can be filtered and lookups refused across workspaces. */
export function stripeMetadata(workspaceId: string, extra: Record<string, string | undefined>): Record<string, string> {
  const entries = Object.entries({ [METADATA.workspace]: workspaceId, ...extra }).filter((entry): entry is [string, string] => entry[1] !== undefined);
  return Object.fromEntries(entries);
}

/** What Stripe's dashboard and the card statement show for a deposit. */
export function depositDescription(input: Pick<VendorDepositInput, "vendorName" | "description">): string {
  return `Vendor deposit to ${input.vendorName}: ${input.description}`;
}

export function depositMetadata(workspaceId: string, input: VendorDepositInput): Record<string, string> {
  return stripeMetadata(workspaceId, {
    [METADATA.purpose]: "vendor_deposit",
    [METADATA.vendorName]: input.vendorName,
    [METADATA.vendorReference]: input.vendorReference,
    [METADATA.event]: input.eventId,
  });
}
