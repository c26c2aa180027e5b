import { createHash, randomBytes } from "node:crypto";
import { and, desc, eq, ilike, or, sql } from "drizzle-orm";
import { z } from "zod";
import { createSandboxObject, findSandboxObject, listSandboxObjects, updateSandboxObject } from "../../../domain/sandbox.js";
import { fromDatabaseError } from "../../../drizzle/errors.js";
import { sandboxObjects, type SandboxObject } from "../../../drizzle/schema/index.js";
import { AppError } from "../../../lib/errors.js";
import type { ToolContext } from "../../host/context.js";
import {
  GOOGLE_DOC_MIME_TYPE,
  type CreateDocumentInput,
  type DriveDocument,
  type DrivePermission,
  type DriveRevision,
  type GdriveBackend,
  type SearchDocumentsInput,
  type ShareDocumentInput,
  type UpdateDocumentInput,
} from "../backend.js";
import { checkShareAllowed } from "../sharing.js";

/**
 * Google Drive inside our database, for running with no Google credentials: a document (kind
 * `document`) holds its current Markdown, every save adds a `revision` with the full Markdown, and
 * every share is a `permission`. `event-planner sandbox outbox --kind doc` shows documents and shares.
 */

const SERVICE = "gdrive";

/**
 * Sandbox links point at a host that cannot resolve (RFC 2606 `.invalid`), so nobody mistakes one
 * for a real Google Doc; the path has the Docs shape so the id is easy to spot.
 */
export const SANDBOX_LINK_BASE = "https://docs.sandbox.invalid/document/d/";

const documentData = z.object({
  title: z.string(),
  markdown: z.string(),
  mimeType: z.string(),
  webViewLink: z.string(),
  createdTime: z.string(),
  modifiedTime: z.string(),
  headRevisionId: z.string(),
  revisionCount: z.number().int(),
});
type DocumentData = z.infer<typeof documentData>;

const revisionData = z.object({
  documentId: z.string(),
  revisionId: z.string(),
  markdown: z.string(),
  title: z.string(),
  modifiedTime: z.string(),
  modifiedByMe: z.boolean(),
  modifiedByEmail: z.string().nullable(),
});

const permissionData = z.object({
  documentId: z.string(),
  permissionId: z.string(),
  type: z.literal("user"),
  emailAddress: z.string(),
  role: z.enum(["reader", "commenter", "writer", "owner"]),
  external: z.boolean(),
  notified: z.boolean(),
  emailMessage: z.string().nullable(),
});
type PermissionData = z.infer<typeof permissionData>;

/** Google Docs ids are 44 characters of base64url starting with 1. */
export function newDocumentId(): string {
  return `1${randomBytes(33).toString("base64url").slice(0, 43)}`;
}

/** Drive gives a user one permission id on every file; derived from the address here so it is stable too. */
export function permissionIdFor(email: string): string {
  const digest = createHash("sha256").update(email.toLowerCase()).digest();
  return Array.from(digest.subarray(0, 20), (byte) => String(byte % 10)).join("").replace(/^0/, "1");
}

function notFound(documentId: string): AppError {
  // Drive's own words, plus the field, so the model knows which argument to fix.
  return new AppError("not_found", `documentId: File not found: ${documentId}. It does not exist in this workspace's Drive.`, { field: "documentId", id: documentId });
}

/** Two saves raced for the same revision number: the loser is told to read and save again. */
function savedConcurrently(error: unknown, documentId: string): unknown {
  const appError = fromDatabaseError(error);
  if (appError.code !== "conflict") return error;
  return new AppError("conflict", `documentId: document ${documentId} was saved by another call at the same moment; read it again and retry with a new idempotency_key`, { field: "documentId" });
}

function presentDocument(row: SandboxObject): DriveDocument {
  const data = documentData.parse(row.data);
  return { id: row.externalId, title: data.title, webViewLink: data.webViewLink, createdTime: data.createdTime, modifiedTime: data.modifiedTime };
}

function presentRevision(row: SandboxObject): DriveRevision {
  const data = revisionData.parse(row.data);
  return { id: data.revisionId, modifiedTime: data.modifiedTime, modifiedByMe: data.modifiedByMe, modifiedByEmail: data.modifiedByEmail };
}

function presentPermission(data: PermissionData): DrivePermission {
  return { id: data.permissionId, documentId: data.documentId, email: data.emailAddress, role: data.role, external: data.external, notified: data.notified };
}

/** Revision external ids are per document: Drive's revision ids only mean something within their file. */
const revisionExternalId = (documentId: string, revisionId: string) => `${documentId}/${revisionId}`;

export interface SandboxDriveOptions {
  now?: () => Date;
}

export function createSandboxDriveBackend(options: SandboxDriveOptions = {}): GdriveBackend {
  const now = () => (options.now ?? (() => new Date()))().toISOString();

  async function getDocument(ctx: ToolContext, documentId: string): Promise<SandboxObject> {
    const row = await findSandboxObject(ctx, SERVICE, "document", documentId);
    if (!row) throw notFound(documentId);
    return row;
  }

  /** The document row and its revision are written together, so a crash never leaves one without the other. */
  function inTransaction<T>(ctx: ToolContext, work: (tx: ToolContext) => Promise<T>): Promise<T> {
    return ctx.db.transaction((tx) => work({ ...ctx, db: tx }));
  }

  return {
    kind: "sandbox",

    createDocument: (ctx, input: CreateDocumentInput) =>
      inTransaction(ctx, async (tx) => {
        const id = newDocumentId();
        const at = now();
        const data: DocumentData = {
          title: input.title,
          markdown: input.markdown,
          mimeType: GOOGLE_DOC_MIME_TYPE,
          webViewLink: `${SANDBOX_LINK_BASE}${id}/edit`,
          createdTime: at,
          modifiedTime: at,
          headRevisionId: "1",
          revisionCount: 1,
        };
        const { object, replay } = await createSandboxObject(tx, { service: SERVICE, kind: "document", externalId: id, idempotencyKey: input.idempotencyKey, status: "active", data });
        if (replay) return presentDocument(object);
        await createSandboxObject(tx, {
          service: SERVICE,
          kind: "revision",
          externalId: revisionExternalId(id, "1"),
          parentExternalId: id,
          status: "head",
          data: { documentId: id, revisionId: "1", markdown: input.markdown, title: input.title, modifiedTime: at, modifiedByMe: true, modifiedByEmail: null },
        });
        return presentDocument(object);
      }),

    async readDocument(ctx, documentId) {
      const row = await getDocument(ctx, documentId);
      const data = documentData.parse(row.data);
      return { document: presentDocument(row), markdown: data.markdown, revisionId: data.headRevisionId };
    },

    updateDocument: (ctx, input: UpdateDocumentInput) =>
      inTransaction(ctx, async (tx) => {
        const row = await getDocument(tx, input.documentId);
        const current = documentData.parse(row.data);
        const [earlier] = await tx.db
          .select()
          .from(sandboxObjects)
          .where(and(eq(sandboxObjects.workspaceId, tx.workspaceId), eq(sandboxObjects.service, SERVICE), eq(sandboxObjects.kind, "revision"), eq(sandboxObjects.idempotencyKey, input.idempotencyKey)))
          .limit(1);
        // The same key already saved a revision: that save was this update.
        if (earlier) {
          if (earlier.parentExternalId !== input.documentId) throw new AppError("conflict", `idempotency_key was already used to save document ${earlier.parentExternalId ?? "?"}`, { field: "idempotency_key" });
          return { document: presentDocument(row), revision: presentRevision(earlier) };
        }
        if (input.baseRevisionId !== undefined && input.baseRevisionId !== current.headRevisionId) {
          throw new AppError("conflict", `baseRevisionId: the document changed since revision ${input.baseRevisionId} (head is ${current.headRevisionId}); read it again and merge before saving`, {
            field: "baseRevisionId",
            headRevisionId: current.headRevisionId,
          });
        }
        const at = now();
        const revisionId = String(current.revisionCount + 1);
        const title = input.title ?? current.title;
        const { object: revision, replay } = await createSandboxObject(tx, {
          service: SERVICE,
          kind: "revision",
          externalId: revisionExternalId(input.documentId, revisionId),
          parentExternalId: input.documentId,
          idempotencyKey: input.idempotencyKey,
          status: "head",
          data: { documentId: input.documentId, revisionId, markdown: input.markdown, title, modifiedTime: at, modifiedByMe: true, modifiedByEmail: null },
        }).catch((error: unknown) => {
          throw savedConcurrently(error, input.documentId);
        });
        // A concurrent retry with this key saved first: its revision is this update's.
        if (replay) return { document: presentDocument(await getDocument(tx, input.documentId)), revision: presentRevision(revision) };
        const previous = await findSandboxObject(tx, SERVICE, "revision", revisionExternalId(input.documentId, current.headRevisionId));
        if (previous) await updateSandboxObject(tx, previous.id, { status: "superseded" });
        const data: DocumentData = { ...current, title, markdown: input.markdown, modifiedTime: at, headRevisionId: revisionId, revisionCount: current.revisionCount + 1 };
        const updated = await updateSandboxObject(tx, row.id, { data });
        return { document: presentDocument(updated), revision: presentRevision(revision) };
      }),

    async searchDocuments(ctx, input: SearchDocumentsInput) {
      // Drive matches words anywhere in the name or the text, case-insensitively.
      const pattern = input.text === undefined ? undefined : `%${input.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const rows = await ctx.db
        .select()
        .from(sandboxObjects)
        .where(
          and(
            eq(sandboxObjects.workspaceId, ctx.workspaceId),
            eq(sandboxObjects.service, SERVICE),
            eq(sandboxObjects.kind, "document"),
            eq(sandboxObjects.status, "active"),
            pattern === undefined ? undefined : or(ilike(sql`${sandboxObjects.data}->>'title'`, pattern), ilike(sql`${sandboxObjects.data}->>'markdown'`, pattern)),
          ),
        )
        .orderBy(sql`${sandboxObjects.data}->>'modifiedTime' desc`, desc(sandboxObjects.createdAt))
        .limit(input.limit);
      return rows.map(presentDocument);
    },

    async shareDocument(ctx, input: ShareDocumentInput) {
      const { external } = await checkShareAllowed(ctx, input.email, input.allowExternal);
      const document = await getDocument(ctx, input.documentId);
      const permissionId = permissionIdFor(input.email);
      const externalId = `${input.documentId}/${permissionId}`;
      const existing = await findSandboxObject(ctx, SERVICE, "permission", externalId);
      if (existing) {
        const data = permissionData.parse(existing.data);
        // Drive keeps one permission per person per file: sharing again changes the role, never adds a second.
        if (data.role === input.role) return { ...presentPermission(data), notified: false };
        if (data.role === "owner") throw new AppError("forbidden", `email: ${input.email} owns this document; the owner's access cannot be changed`, { field: "email" });
        const changed: PermissionData = { ...data, role: input.role, external, notified: input.notify, emailMessage: input.notify ? (input.message ?? null) : null };
        await updateSandboxObject(ctx, existing.id, { data: { ...existing.data, ...changed } });
        return presentPermission(changed);
      }
      const data: PermissionData = {
        documentId: input.documentId,
        permissionId,
        type: "user",
        emailAddress: input.email,
        role: input.role,
        external,
        notified: input.notify,
        emailMessage: input.notify ? (input.message ?? null) : null,
      };
      const { object } = await createSandboxObject(ctx, {
        service: SERVICE,
        kind: "permission",
        externalId,
        parentExternalId: input.documentId,
        idempotencyKey: input.idempotencyKey,
        status: "active",
        data: { ...data, documentTitle: documentData.parse(document.data).title },
      });
      return presentPermission(permissionData.parse(object.data));
    },

    async listRevisions(ctx, documentId, limit) {
      await getDocument(ctx, documentId);
      const rows = await listSandboxObjects(ctx, { service: SERVICE, kinds: ["revision"], parentExternalId: documentId, limit: 200 });
      // Revision numbers, not insert times, order the saves: two saves can share a timestamp.
      const revisions = rows.map(presentRevision).sort((a, b) => Number(b.id) - Number(a.id));
      return revisions.slice(0, limit);
    },
  };
}
