import { AppError, ValidationError } from "../../lib/errors.js";
import { formatMinor } from "../../lib/money.js";

/**
 * Money at the Stripe boundary. Our tools speak integer minor units with an upper-case ISO 4217
 * code; Stripe's wire format wants the code in lower case. Stripe's own minor units agree with
 * ICU's for the currencies an event planner uses (cents, JPY in yen).
 */

export const toStripeCurrency = (currency: string): string => currency.toLowerCase();
export const fromStripeCurrency = (currency: string): string => currency.toUpperCase();

/**
 * Stripe's minimum charge amounts, in minor units (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
 * Below these Stripe answers `amount_too_small`, so the sandbox does too.
 */
const MINIMUM_CHARGE: Record<string, number> = {
  usd: 50, aed: 200, aud: 50, bgn: 100, brl: 50, cad: 50, chf: 50, czk: 1500, dkk: 250, eur: 50, gbp: 30, hkd: 400, huf: 17500,
  inr: 50, jpy: 50, mxn: 1000, myr: 200, nok: 300, nzd: 50, pln: 200, ron: 200, sek: 300, sgd: 50, thb: 1000,
};

/** Currencies missing from Stripe's table settle in another currency; 50 minor units is the common floor. */
export function minimumChargeMinor(stripeCurrency: string): number {
  return MINIMUM_CHARGE[stripeCurrency] ?? 50;
}

/** Stripe's largest amount for most currencies (eight digits). */
export const STRIPE_MAX_AMOUNT = 99_999_999;

/** `€0.50 eur`: how Stripe writes an amount in its error messages. */
export function stripeAmountText(amountMinor: number, stripeCurrency: string): string {
  return `${formatMinor(amountMinor, fromStripeCurrency(stripeCurrency))} ${stripeCurrency}`;
}

export function displayMinor(amountMinor: number, currency: string): string {
  return formatMinor(amountMinor, currency);
}

/**
 * The per-call cap (STRIPE_MAX_AMOUNT_MINOR), checked before anything reaches Stripe or the
 * sandbox. It counts minor units whatever the currency, as the configuration does.
 */
export function assertWithinCap(amountMinor: number, field: string, maxAmountMinor: number, what = "this call"): void {
  if (amountMinor <= maxAmountMinor) return;
  throw new AppError(
    "budget_exceeded",
    `${field}: ${amountMinor} minor units for ${what} is above the per-call cap of ${maxAmountMinor} (STRIPE_MAX_AMOUNT_MINOR); nothing was sent to Stripe. Split the amount or ask an operator to raise the cap.`,
    { field, amountMinor, maxAmountMinor },
  );
}

/** A refund is always in its payment's currency; a planner naming another one has the wrong payment. */
export function assertRefundCurrency(paymentStripeCurrency: string, currency: string | undefined): void {
  if (currency === undefined || toStripeCurrency(currency) === paymentStripeCurrency) return;
  throw new ValidationError(`currency: the payment is in ${fromStripeCurrency(paymentStripeCurrency)}, and a refund is always in the payment's currency (got ${currency})`, { field: "currency" });
}
