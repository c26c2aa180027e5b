import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../drizzle/client.js";
import { apiKeys, type ApiKey } from "../drizzle/schema/index.js";
import { NotFoundError } from "../lib/errors.js";
import { parseInput } from "../lib/validation.js";
import type { DomainContext } from "./context.js";

/** `epk_<16 hex lookup prefix>_<43 base64url secret>`: 256 random bits behind a public prefix. */
const TOKEN_PATTERN = /^epk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** What a caller may see of a key: never the hash. */
export type ApiKeySummary = Omit<ApiKey, "hash">;

export interface VerifiedApiKey {
  keyId: string;
  workspaceId: string;
}

const createInput = z.object({ name: z.string().trim().min(1).max(100).default("default") });

function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function summarize({ hash: _hash, ...summary }: ApiKey): ApiKeySummary {
  return summary;
}

/** Create a key for the context's workspace. The token is returned once and stored only as a hash. */
export async function createApiKey(ctx: DomainContext, input: z.input<typeof createInput> = {}): Promise<{ token: string; apiKey: ApiKeySummary }> {
  const { name } = parseInput(createInput, input);
  const prefix = randomBytes(8).toString("hex");
  const token = `epk_${prefix}_${randomBytes(32).toString("base64url")}`;
  const [row] = await ctx.db.insert(apiKeys).values({ workspaceId: ctx.workspaceId, name, prefix, hash: hashToken(token) }).returning();
  if (!row) throw new Error("insert returned no row");
  return { token, apiKey: summarize(row) };
}

/**
 * The workspace a bearer token belongs to, or undefined for a malformed, unknown or revoked key.
 * The hash comparison is constant-time; the lookup is by the public prefix only.
 */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function verifyApiKey(db: Database, token: string): Promise<VerifiedApiKey | undefined> {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, match[1] ?? ""), isNull(apiKeys.revokedAt)))
    .limit(1);
  if (!row) return undefined;
  const expected = Buffer.from(row.hash, "hex");
  const actual = Buffer.from(hashToken(token), "hex");
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  // Minute resolution is all "last used" needs; a write on every request would cost more than the read.
  const now = new Date();
  if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, row.id));
  }
  return { keyId: row.id, workspaceId: row.workspaceId };
}

export async function listApiKeys(ctx: DomainContext): Promise<ApiKeySummary[]> {
  const rows = await ctx.db.select().from(apiKeys).where(eq(apiKeys.workspaceId, ctx.workspaceId)).orderBy(desc(apiKeys.createdAt));
  return rows.map(summarize);
}

export async function revokeApiKey(ctx: DomainContext, id: string): Promise<ApiKeySummary> {
  const [row] = await ctx.db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.workspaceId, ctx.workspaceId)))
    .returning();
  if (!row) throw new NotFoundError("api key", id);
  return summarize(row);
}
