/**
 * Ids in a replay. A recorded model answer names ids it read in the recorded run's tool results
 * (an event id, a booking id, a payment id); the replayed run's tools hand out new ones. Comparing
 * what the recorded and the live request said token by token teaches the map from old ids to new,
 * and recorded answers are rewritten through it, so a replay acts on its own objects.
 */

/** Words as ids are written: letters and digits joined by `_`, `-` or `.` (UUIDs, pi_…, Slack ts). */
const TOKEN = /[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9])?/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A token worth mapping: long enough and with digits, so prose never is. */
export function looksLikeId(token: string): boolean {
  // Dates and times differ between runs (createdAt) but are never ids to carry over.
  if (/^\d{4}-\d{2}-\d{2}/.test(token)) return false;
  return UUID.test(token) || (token.length >= 10 && /\d/.test(token) && /[A-Za-z_]|\./.test(token));
}

function tokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export class IdMap {
  private readonly map = new Map<string, string>();
  /** Recorded ids seen mapped to two different live ids: the replay's tools did not behave as recorded. */
  readonly conflicts: string[] = [];

  /** Learn from the same message as recorded and as live. Returns whether they lined up token by token. */
  learn(recorded: string, live: string): boolean {
    const before = tokens(recorded);
    const after = tokens(live);
    const aligned = before.length === after.length;
    // Misaligned text (a timestamp with more digits, a longer error message) still maps its UUIDs in order.
    const pairs = aligned ? before.map((token, index) => [token, after[index] ?? token] as const) : zipUuids(before, after);
    for (const [old, now] of pairs) {
      if (old === now || !looksLikeId(old)) continue;
      const known = this.map.get(old);
      if (known === undefined) this.map.set(old, now);
      else if (known !== now) this.conflicts.push(old);
    }
    return aligned;
  }

  get size(): number {
    return this.map.size;
  }

  rewriteText(text: string): string {
    return text.replace(TOKEN, (token) => this.map.get(token) ?? token);
  }

  /** Every string inside a JSON value, rewritten. */
  rewrite<T>(value: T): T {
    if (typeof value === "string") return this.rewriteText(value) as T;
    if (Array.isArray(value)) return value.map((item: unknown) => this.rewrite(item)) as T;
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, this.rewrite(item)])) as T;
    }
    return value;
  }
}

function zipUuids(before: string[], after: string[]): (readonly [string, string])[] {
  const old = before.filter((token) => UUID.test(token));
  const now = after.filter((token) => UUID.test(token));
  if (old.length !== now.length) return [];
  return old.map((token, index) => [token, now[index] ?? token] as const);
}
