import type { ToolContext } from "../host/context.js";

/**
 * What the gdrive tools need from Google Drive. Two implementations: `backends/google-drive.ts`
 * (the googleapis SDK) and `backends/sandbox.ts` (our database, with Drive's ids and errors).
 * Every method acts for `ctx.workspaceId` only: a document another workspace created is not found.
 */

export const SHARE_ROLES = ["reader", "commenter", "writer"] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];

/** Drive's `mimeType` for a Google Doc: planning documents are real Docs people can edit and comment on. */
export const GOOGLE_DOC_MIME_TYPE = "application/vnd.google-apps.document";
/** What we upload (Drive converts it to a Doc) and what we export back. */
export const MARKDOWN_MIME_TYPE = "text/markdown";

export interface DriveDocument {
  id: string;
  title: string;
  webViewLink: string;
  createdTime: string;
  modifiedTime: string;
}

export interface DriveRevision {
  id: string;
  modifiedTime: string;
  /** Saved by the account the planner acts as (the agent), not by a person editing the Doc. */
  modifiedByMe: boolean;
  modifiedByEmail: string | null;
}

export interface DrivePermission {
  id: string;
  documentId: string;
  email: string;
  role: ShareRole | "owner";
  /** Outside the workspace's email domain (or the workspace has none). */
  external: boolean;
  /** Whether Drive emailed the person about this share (only when asked, and only for a new or changed share). */
  notified: boolean;
}

export interface CreateDocumentInput {
  title: string;
  markdown: string;
  idempotencyKey: string;
}

export interface UpdateDocumentInput {
  documentId: string;
  markdown: string;
  title?: string;
  /** Refuse with `conflict` when the head revision is no longer this one (someone else saved since). */
  baseRevisionId?: string;
  idempotencyKey: string;
}

export interface SearchDocumentsInput {
  /** Words in the title or the text; omitted: the most recently modified documents. */
  text?: string;
  limit: number;
}

export interface ShareDocumentInput {
  documentId: string;
  email: string;
  role: ShareRole;
  /** Must be true to share with an address outside the workspace's domain. */
  allowExternal: boolean;
  notify: boolean;
  message?: string;
  idempotencyKey: string;
}

export interface GdriveBackend {
  readonly kind: "sandbox" | "google";
  createDocument(ctx: ToolContext, input: CreateDocumentInput): Promise<DriveDocument>;
  /** The current text as Markdown, with the head revision it was read at. */
  readDocument(ctx: ToolContext, documentId: string): Promise<{ document: DriveDocument; markdown: string; revisionId: string | null }>;
  updateDocument(ctx: ToolContext, input: UpdateDocumentInput): Promise<{ document: DriveDocument; revision: DriveRevision }>;
  searchDocuments(ctx: ToolContext, input: SearchDocumentsInput): Promise<DriveDocument[]>;
  shareDocument(ctx: ToolContext, input: ShareDocumentInput): Promise<DrivePermission>;
  /** Newest first. */
  listRevisions(ctx: ToolContext, documentId: string, limit: number): Promise<DriveRevision[]>;
}
