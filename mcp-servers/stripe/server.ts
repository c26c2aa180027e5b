import type { McpServerDefinition, McpServerDeps } from "../host/server.js";
import type { StripeBackend } from "./backend.js";
import { createStripeSandboxBackend } from "./backends/sandbox.js";
import { createStripeSdkBackend } from "./backends/stripe.js";
import { stripeTools, type StripeToolOptions } from "./tools.js";

/** STRIPE_MAX_AMOUNT_MINOR's default, for tests that build the server around a backend. */
const DEFAULT_MAX_AMOUNT_MINOR = 2_500_000;

export function createStripeServer(backend: StripeBackend, options: Partial<StripeToolOptions> = {}): McpServerDefinition {
  const sandbox = backend.kind === "sandbox";
  return {
    name: "stripe",
    version: "1.0.0",
    instructions:
      "Payments through Stripe: customers and invoices for sponsors and clients, payment links for attendee tickets, vendor deposits, refunds, and what this workspace's payments add up to. " +
      "Money is integer minor units with an ISO 4217 currency (EUR 1,500.00 = 150000 EUR). Every tool that charges, invoices or refunds takes an idempotency_key: reuse it when retrying the same action and Stripe will not act twice; a new action needs a new key. " +
      (sandbox
        ? "No Stripe key is configured: this is the sandbox, which records everything (`event-planner sandbox outbox --kind payment`) but moves no real money and emails no one."
        : "This is the live Stripe API of the configured account: charges, invoices and refunds are real."),
    tools: stripeTools(backend, { maxAmountMinor: options.maxAmountMinor ?? DEFAULT_MAX_AMOUNT_MINOR }),
  };
}

/**
 * Deposits are charged to the PaymentMethod STRIPE_DEPOSIT_PAYMENT_METHOD names; a test key falls
 * back to Stripe's test card, a live key without one refuses deposits.
 */
function depositPaymentMethod(stripe: McpServerDeps["config"]["stripe"]): string | undefined {
  if (stripe.depositPaymentMethod) return stripe.depositPaymentMethod;
  return /^(sk|rk)_test_/.test(stripe.secretKey ?? "") ? "pm_card_visa" : undefined;
}

/** The real Stripe API with STRIPE_SECRET_KEY; the sandbox without it. */
export function createStripeServerFromConfig(deps: McpServerDeps): McpServerDefinition {
  const { stripe } = deps.config;
  const backend = stripe.secretKey
    ? createStripeSdkBackend({ secretKey: stripe.secretKey, baseUrl: stripe.baseUrl, depositPaymentMethod: depositPaymentMethod(stripe) })
    : createStripeSandboxBackend();
  if (!stripe.secretKey) deps.logger.info("stripe: no STRIPE_SECRET_KEY, using the sandbox backend");
  return createStripeServer(backend, { maxAmountMinor: stripe.maxAmountMinor });
}
