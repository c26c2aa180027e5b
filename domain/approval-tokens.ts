import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { AppError } from "../lib/errors.js";

/**
 * An approval token travels in a Slack button and comes back in the interaction webhook. It binds
 * the approval and its workspace, expires, and is signed with HMAC-SHA256, so a forged or edited
 * button cannot approve anything.
 */
const claimsSchema = z
  .object({
    approvalId: z.uuid(),
    workspaceId: z.uuid(),
    /** Seconds since the epoch. */
    expiresAt: z.number().int().positive(),
  })
  .strict();
export type ApprovalTokenClaims = z.infer<typeof claimsSchema>;

export const DEFAULT_APPROVAL_TOKEN_TTL_SECONDS = 7 * 24 * 3600;

let processSecret: string | undefined;

/** The configured secret, or one random secret for this process (enough for single-process `serve`). */
export function resolveApprovalSecret(configured: string | undefined): string {
  if (configured) return configured;
  processSecret ??= randomBytes(32).toString("base64url");
  return processSecret;
}

function signature(payload: string, secret: string): Buffer {
  return createHmac("sha256", secret).update(payload).digest();
}

export function signApprovalToken(claims: Omit<ApprovalTokenClaims, "expiresAt">, secret: string, options: { ttlSeconds?: number; now?: Date } = {}): string {
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const body = claimsSchema.parse({ ...claims, expiresAt: now + (options.ttlSeconds ?? DEFAULT_APPROVAL_TOKEN_TTL_SECONDS) });
  const payload = Buffer.from(JSON.stringify(body)).toString("base64url");
  return `${payload}.${signature(payload, secret).toString("base64url")}`;
}

/** The claims of a genuine, unexpired token; `unauthorized` for anything else, without saying which check failed. */
export function verifyApprovalToken(token: string, secret: string, now: Date = new Date()): ApprovalTokenClaims {
  const invalid = new AppError("unauthorized", "The approval token is invalid or has expired");
  const [payload, mac, ...rest] = token.split(".");
  if (!payload || !mac || rest.length > 0) throw invalid;
  const expected = signature(payload, secret);
  const presented = Buffer.from(mac, "base64url");
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw invalid;
  let claims: ApprovalTokenClaims;
  try {
    claims = claimsSchema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
  } catch {
    throw invalid;
  }
  if (claims.expiresAt * 1000 <= now.getTime()) throw invalid;
  return claims;
}
