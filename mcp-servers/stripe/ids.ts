import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function base62(bytes: Buffer, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) out += ALPHABET[(bytes[i % bytes.length] ?? 0) % ALPHABET.length];
  return out;
}

/** Stripe's id lengths: customers are short (cus_ + 14 characters), the objects we create carry 24. */
const LENGTHS: Record<string, number> = { cus: 14 };

/** A fresh Stripe-looking id, e.g. `ch_3Pq…`. */
export function randomStripeId(prefix: string): string {
  return `${prefix}_${base62(randomBytes(32), LENGTHS[prefix] ?? 24)}`;
}

/**
 * The id the sandbox hands out for a keyed action: derived from the workspace and the caller's
 * idempotency key, so a repeated key can find the first object before anything is validated
 * again (Stripe replays the first response the same way).
 */
export function derivedStripeId(prefix: string, workspaceId: string, idempotencyKey: string): string {
  const digest = createHash("sha256").update(`${workspaceId}\u0000${prefix}\u0000${idempotencyKey}`).digest();
  return `${prefix}_${base62(digest, LENGTHS[prefix] ?? 24)}`;
}

const STRIPE_KEY_MAX = 255;

/**
 * Stripe scopes an Idempotency-Key to the whole account, which every workspace of this deployment
 * shares: the workspace id goes in front so one workspace's key can never replay another's
 * object. `step` tells apart the several requests one tool call makes (create, add line, send).
 */
export function stripeIdempotencyKey(workspaceId: string, idempotencyKey: string, step?: string): string {
  const key = step ? `${workspaceId}:${idempotencyKey}:${step}` : `${workspaceId}:${idempotencyKey}`;
  if (key.length <= STRIPE_KEY_MAX) return key;
  const digest = createHash("sha256").update(idempotencyKey).digest("hex");
  return step ? `${workspaceId}:sha256-${digest}:${step}` : `${workspaceId}:sha256-${digest}`;
}
