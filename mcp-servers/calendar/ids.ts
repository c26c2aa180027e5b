import { createHash } from "node:crypto";

/** Google Calendar event ids: base32hex (a–v, 0–9), 5 to 1024 characters (RFC 2938 section 3.1.2). */
export const GOOGLE_EVENT_ID_PATTERN = /^[a-v0-9]{5,1024}$/;

const BASE32HEX = "0123456789abcdefghijklmnopqrstuv";

export function base32hex(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32HEX[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 31];
  return out;
}

function digest(parts: string[]): Uint8Array {
  return createHash("sha256").update(parts.join("\u0000")).digest();
}

/**
 * The event id for a create call: the same workspace and key always give the same id, so a retry
 * is a duplicate Google refuses (409) rather than a second event. The workspace is part of it
 * because one Google calendar may serve several workspaces, whose keys are chosen independently.
 */
export function eventIdFor(workspaceId: string, idempotencyKey: string): string {
  return base32hex(digest(["event", workspaceId, idempotencyKey]));
}

/** A short marker an update leaves on the event, so a retry of the same call finds it already applied. */
export function updateMarkerFor(workspaceId: string, idempotencyKey: string): string {
  return base32hex(digest(["update", workspaceId, idempotencyKey])).slice(0, 16);
}

/** How many update markers an event keeps: enough for retries, small enough for a private property (1 KB). */
export const MAX_UPDATE_MARKERS = 8;
