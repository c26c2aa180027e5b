import { eq } from "drizzle-orm";
import { expect, it } from "vitest";
import { apiKeys } from "../drizzle/schema/index.js";
import { describeEachDriver } from "../test/db.js";
import { createApiKey, listApiKeys, revokeApiKey, verifyApiKey } from "./api-keys.js";
import { ensureWorkspace } from "./workspaces.js";

describeEachDriver("api keys", (t) => {
  async function contextFor(name: string) {
    const workspace = await ensureWorkspace(t().db, name);
    return { db: t().db, workspaceId: workspace.id, actor: { kind: "system" as const } };
  }

  it("creates a key that verifies to its workspace and stores only a hash", async () => {
    const ctx = await contextFor("keys-acme");
    const { token, apiKey } = await createApiKey(ctx, { name: "ci" });
    expect(token).toMatch(/^epk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).not.toHaveProperty("hash");
    expect(await verifyApiKey(t().db, token)).toEqual({ keyId: apiKey.id, workspaceId: ctx.workspaceId });
    const [stored] = await t().db.select({ hash: apiKeys.hash }).from(apiKeys).where(eq(apiKeys.id, apiKey.id));
    expect(stored?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.hash).not.toContain(token.slice(21));
  });

  it("records when a key was last used, to the minute, without a write on every request", async () => {
    const ctx = await contextFor("keys-used");
    const { token, apiKey } = await createApiKey(ctx);
    expect(apiKey.lastUsedAt).toBeNull();
    const lastUsed = async () => (await t().db.select({ at: apiKeys.lastUsedAt }).from(apiKeys).where(eq(apiKeys.id, apiKey.id)))[0]?.at;
    await verifyApiKey(t().db, token);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    await verifyApiKey(t().db, token);
    expect(await lastUsed()).toEqual(first);
    // A minute later it moves.
    await t().db.update(apiKeys).set({ lastUsedAt: new Date(Date.now() - 61_000) }).where(eq(apiKeys.id, apiKey.id));
    await verifyApiKey(t().db, token);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(Date.now() - 10_000);
  });

  it("rejects a tampered, malformed or revoked key", async () => {
    const ctx = await contextFor("keys-tamper");
    const { token, apiKey } = await createApiKey(ctx);
    const last = token.at(-1) === "A" ? "B" : "A";
    expect(await verifyApiKey(t().db, token.slice(0, -1) + last)).toBeUndefined();
    expect(await verifyApiKey(t().db, "not-a-key")).toBeUndefined();
    expect(await verifyApiKey(t().db, "")).toBeUndefined();
    await revokeApiKey(ctx, apiKey.id);
    expect(await verifyApiKey(t().db, token)).toBeUndefined();
  });

  it("lists and revokes only the workspace's own keys", async () => {
    const a = await contextFor("keys-a");
    const b = await contextFor("keys-b");
    const { apiKey: keyA } = await createApiKey(a);
    await createApiKey(b);
    expect((await listApiKeys(a)).map((k) => k.id)).toEqual([keyA.id]);
    await expect(revokeApiKey(b, keyA.id)).rejects.toMatchObject({ code: "not_found" });
  });
});
