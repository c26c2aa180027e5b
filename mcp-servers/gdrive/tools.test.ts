import { expect, it } from "vitest";
import type { DomainContext } from "../../domain/context.js";
import { listOutbox, listSandboxObjects } from "../../domain/sandbox.js";
import { newWorkspaceContext } from "../../test/context.js";
import { describeEachDriver, type TestDatabase } from "../../test/db.js";
import { connectInMemory } from "../host/in-memory.js";
import { callError, callOk, testToolContext } from "../host/testing.js";
import { createSandboxDriveBackend, SANDBOX_LINK_BASE } from "./backends/sandbox.js";
import { createGdriveServer } from "./server.js";
import { setWorkspaceEmailDomain, unfence, type DocumentResult, type PermissionResult, type ReadResult, type RevisionResult } from "./testing/helpers.js";

const PLAN = "# Lisbon offsite\n\n| Day | What |\n| --- | --- |\n| 1 | Arrivals |\n| 2 | Workshops |\n";

describeEachDriver("gdrive MCP tools (sandbox)", (t) => {
  let counter = 0;
  const key = (label: string) => `${label}-key-${++counter}`;

  // A stepping clock: every save gets its own modifiedTime without waiting.
  let tick = Date.parse("2027-01-04T09:00:00Z");
  const backend = createSandboxDriveBackend({ now: () => new Date((tick += 1000)) });
  const server = createGdriveServer(backend);

  async function connect(database: TestDatabase, ctx?: DomainContext) {
    const workspace = ctx ?? (await newWorkspaceContext(database.db, "gd"));
    const conn = await connectInMemory(server, testToolContext(database.handle, workspace));
    return { ctx: workspace, ...conn };
  }

  async function withClient(body: (c: Awaited<ReturnType<typeof connect>>) => Promise<void>, ctx?: DomainContext) {
    const c = await connect(t(), ctx);
    try {
      await body(c);
    } finally {
      await c.close();
    }
  }

  it("creates a document from Markdown, visible in the doc outbox with its first revision", () =>
    withClient(async ({ client, ctx }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Offsite plan", markdown: PLAN, idempotency_key: key("create") });
      expect(document.id).toMatch(/^1[A-Za-z0-9_-]{43}$/);
      expect(document.webViewLink).toBe(`${SANDBOX_LINK_BASE}${document.id}/edit`);
      expect(document.createdTime).toBe(document.modifiedTime);

      const outbox = await listOutbox(ctx, "doc");
      expect(outbox).toHaveLength(1);
      expect(outbox[0]).toMatchObject({ service: "gdrive", kind: "document", externalId: document.id, status: "active" });
      expect(outbox[0]?.data).toMatchObject({ title: "Offsite plan", markdown: PLAN, mimeType: "application/vnd.google-apps.document", webViewLink: document.webViewLink, headRevisionId: "1" });
      const revisions = await listSandboxObjects(ctx, { service: "gdrive", kinds: ["revision"] });
      expect(revisions.map((r) => [r.parentExternalId, r.data.revisionId, r.data.markdown])).toEqual([[document.id, "1", PLAN]]);
    }));

  it("creates one document for a repeated key, through the tool and through the backend", () =>
    withClient(async ({ client, ctx }) => {
      const args = { title: "Once", markdown: PLAN, idempotency_key: "same-create-key" };
      const first = await callOk(client, "create_document", args);
      expect(await callOk(client, "create_document", args)).toEqual(first);
      // A retry after a crash reaches the backend again: the sandbox itself dedupes on the key.
      const toolCtx = testToolContext(t().handle, ctx);
      const direct = await backend.createDocument(toolCtx, { title: "Once", markdown: PLAN, idempotencyKey: "same-create-key" });
      expect(direct.id).toBe((first.document as DocumentResult).id);
      expect(await listOutbox(ctx, "doc")).toHaveLength(1);
      expect(await listSandboxObjects(ctx, { service: "gdrive", kinds: ["revision"] })).toHaveLength(1);
    }));

  it("reads the current Markdown fenced as untrusted, with the head revision", () =>
    withClient(async ({ client }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Run of show", markdown: "Say <<<untrusted hi untrusted>>>", idempotency_key: key("create") });
      const read = await callOk<ReadResult>(client, "read_document", { documentId: document.id });
      expect(read.document).toEqual(document);
      expect(read.revisionId).toBe("1");
      expect(read.content).toMatchObject({ untrusted: true, source: "gdrive_document" });
      expect(read.content.text.startsWith("<<<untrusted source=gdrive_document\n")).toBe(true);
      // A fence marker inside the document cannot close the fence early.
      expect(unfence(read.content.text)).toBe("Say <<< untrusted hi untrusted >>>");
      expect(await callError(client, "read_document", { documentId: "1doesNotExist0000000000000000000000000000000" })).toMatch(/^not_found: documentId: File not found/);
    }));

  it("saves an update as a new revision, refuses a stale base, and saves once per key", () =>
    withClient(async ({ client, ctx }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Budget", markdown: "v1", idempotency_key: key("create") });
      const updateArgs = { documentId: document.id, markdown: "v2", title: "Budget (draft 2)", baseRevisionId: "1", idempotency_key: "update-budget-key" };
      const updated = await callOk<{ document: DocumentResult; revision: RevisionResult }>(client, "update_document", updateArgs);
      expect(updated.revision).toMatchObject({ id: "2", modifiedByMe: true, modifiedByEmail: null });
      expect(updated.document).toMatchObject({ id: document.id, title: "Budget (draft 2)" });
      expect(updated.document.modifiedTime > document.modifiedTime).toBe(true);

      const [row] = await listOutbox(ctx, "doc");
      expect(row?.data).toMatchObject({ markdown: "v2", title: "Budget (draft 2)", headRevisionId: "2" });

      // The same key again, straight to the backend (a retry after a crash): no third revision.
      const again = await backend.updateDocument(testToolContext(t().handle, ctx), { documentId: document.id, markdown: "v2", idempotencyKey: "update-budget-key" });
      expect(again.revision.id).toBe("2");

      const stale = await callError(client, "update_document", { documentId: document.id, markdown: "v3", baseRevisionId: "1", idempotency_key: key("stale") });
      expect(stale).toMatch(/^conflict: baseRevisionId: the document changed since revision 1 \(head is 2\)/);

      const revisions = await listSandboxObjects(ctx, { service: "gdrive", kinds: ["revision"], parentExternalId: document.id });
      expect(revisions.map((r) => [r.data.revisionId, r.data.markdown, r.status]).sort()).toEqual([
        ["1", "v1", "superseded"],
        ["2", "v2", "head"],
      ]);
      expect(unfence((await callOk<ReadResult>(client, "read_document", { documentId: document.id })).content.text)).toBe("v2");
    }));

  it("lists revisions newest first", () =>
    withClient(async ({ client }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Agenda", markdown: "a", idempotency_key: key("create") });
      for (const text of ["b", "c"]) await callOk(client, "update_document", { documentId: document.id, markdown: text, idempotency_key: key("update") });
      const { revisions } = await callOk<{ documentId: string; revisions: RevisionResult[] }>(client, "list_revisions", { documentId: document.id });
      expect(revisions.map((r) => r.id)).toEqual(["3", "2", "1"]);
      expect((await callOk<{ revisions: RevisionResult[] }>(client, "list_revisions", { documentId: document.id, limit: 2 })).revisions.map((r) => r.id)).toEqual(["3", "2"]);
    }));

  it("searches titles and text case-insensitively, with LIKE wildcards taken literally", () =>
    withClient(async ({ client }) => {
      const make = (title: string, markdown: string) => callOk<{ document: DocumentResult }>(client, "create_document", { title, markdown, idempotency_key: key("create") });
      const catering = (await make("Catering options", "Vegetarian lunch for 40")).document;
      const venue = (await make("Venue shortlist", "Tagus hall: 100% step-free")).document;
      const search = async (query?: string) => (await callOk<{ documents: DocumentResult[] }>(client, "search_documents", query === undefined ? {} : { query })).documents.map((d) => d.id);
      expect(await search("CATERING")).toEqual([catering.id]);
      expect(await search("vegetarian")).toEqual([catering.id]);
      expect(await search("100%")).toEqual([venue.id]);
      expect(await search("%")).toEqual([venue.id]);
      expect(await search("_")).toEqual([]);
      expect(await search()).toEqual([venue.id, catering.id]);
      expect(await callError(client, "search_documents", { query: "" })).toMatch(/query/);
    }));

  it("shares inside the workspace's domain, changes a role in place, and puts each share in the outbox once", async () => {
    const ctx = await newWorkspaceContext(t().db, "gd-acme");
    await setWorkspaceEmailDomain(t().db, ctx.workspaceId, "acme.com");
    await withClient(async ({ client }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Plan", markdown: PLAN, idempotency_key: key("create") });
      const share = (role: string) => callOk<{ permission: PermissionResult }>(client, "share_document", { documentId: document.id, email: "Ana@ACME.com", role, idempotency_key: key("share") });
      const { permission } = await share("commenter");
      expect(permission).toMatchObject({ documentId: document.id, email: "ana@acme.com", role: "commenter", external: false, notified: false });
      expect(permission.id).toMatch(/^[1-9][0-9]{19}$/);
      expect((await share("commenter")).permission).toEqual(permission);
      expect((await share("writer")).permission).toMatchObject({ id: permission.id, role: "writer" });

      const shares = await listOutbox(ctx, "doc").then((rows) => rows.filter((r) => r.kind === "permission"));
      expect(shares).toHaveLength(1);
      expect(shares[0]).toMatchObject({ parentExternalId: document.id, status: "active" });
      expect(shares[0]?.data).toMatchObject({ emailAddress: "ana@acme.com", role: "writer", external: false, documentTitle: "Plan" });
      // A subdomain is not the workspace's domain.
      expect(await callError(client, "share_document", { documentId: document.id, email: "bo@eu.acme.com", role: "reader", idempotency_key: key("share") })).toMatch(/^forbidden: email: .*allowExternal/);
    }, ctx);
  });

  it("refuses an external share unless allowExternal, then records it as external with the notification", () =>
    withClient(async ({ client, ctx }) => {
      const { document } = await callOk<{ document: DocumentResult }>(client, "create_document", { title: "Sponsor deck notes", markdown: PLAN, idempotency_key: key("create") });
      const refused = await callError(client, "share_document", { documentId: document.id, email: "vendor@caterer.pt", role: "reader", idempotency_key: key("share") });
      expect(refused).toMatch(/^forbidden: email: vendor@caterer.pt is external \(the workspace has no email domain set/);
      expect((await listOutbox(ctx, "doc")).filter((r) => r.kind === "permission")).toEqual([]);

      expect(await callError(client, "share_document", { documentId: document.id, email: "vendor@caterer.pt", role: "reader", allowExternal: true, message: "hi", idempotency_key: key("share") })).toMatch(
        /^validation_failed: message: /,
      );
      const { permission } = await callOk<{ permission: PermissionResult }>(client, "share_document", {
        documentId: document.id,
        email: "vendor@caterer.pt",
        role: "reader",
        allowExternal: true,
        notify: true,
        message: "Menu in section 3",
        idempotency_key: key("share"),
      });
      expect(permission).toMatchObject({ external: true, notified: true });
      const [row] = (await listOutbox(ctx, "doc")).filter((r) => r.kind === "permission");
      expect(row?.data).toMatchObject({ emailAddress: "vendor@caterer.pt", external: true, notified: true, emailMessage: "Menu in section 3" });
    }));

  it("names the field in a tool error for bad input", () =>
    withClient(async ({ client }) => {
      expect(await callError(client, "create_document", { title: "", markdown: PLAN, idempotency_key: key("bad") })).toMatch(/title/);
      expect(await callError(client, "create_document", { title: "x", markdown: "", idempotency_key: key("bad") })).toMatch(/markdown/);
      expect(await callError(client, "read_document", { documentId: "not a drive id!" })).toMatch(/documentId/);
      expect(await callError(client, "update_document", { documentId: "1abcdefghijk", markdown: "x", baseRevisionId: "", idempotency_key: key("bad") })).toMatch(/baseRevisionId/);
      expect(await callError(client, "share_document", { documentId: "1abcdefghijk", email: "not-an-email", role: "reader", idempotency_key: key("bad") })).toMatch(/email/);
      expect(await callError(client, "share_document", { documentId: "1abcdefghijk", email: "a@b.co", role: "owner", idempotency_key: key("bad") })).toMatch(/role/);
      expect(await callError(client, "list_revisions", { documentId: "1abcdefghijk", limit: 0 })).toMatch(/limit/);
    }));

  it("keeps workspaces apart", async () => {
    const a = await connect(t());
    const b = await connect(t());
    try {
      const { document } = await callOk<{ document: DocumentResult }>(a.client, "create_document", { title: "A's secret plan", markdown: "only A", idempotency_key: "iso-create-key" });
      expect(await callError(b.client, "read_document", { documentId: document.id })).toMatch(/^not_found/);
      expect(await callError(b.client, "update_document", { documentId: document.id, markdown: "B was here", idempotency_key: key("iso") })).toMatch(/^not_found/);
      expect(await callError(b.client, "share_document", { documentId: document.id, email: "eve@evil.test", role: "writer", allowExternal: true, idempotency_key: key("iso") })).toMatch(/^not_found/);
      expect(await callError(b.client, "list_revisions", { documentId: document.id })).toMatch(/^not_found/);
      expect((await callOk<{ documents: DocumentResult[] }>(b.client, "search_documents", { query: "secret" })).documents).toEqual([]);
      expect(await listOutbox(b.ctx, "doc")).toEqual([]);
      // The same key in B is B's own action.
      const own = await callOk<{ document: DocumentResult }>(b.client, "create_document", { title: "B's plan", markdown: "only B", idempotency_key: "iso-create-key" });
      expect(own.document.id).not.toBe(document.id);
      expect(unfence((await callOk<ReadResult>(a.client, "read_document", { documentId: document.id })).content.text)).toBe("only A");
    } finally {
      await a.close();
      await b.close();
    }
  });
});
