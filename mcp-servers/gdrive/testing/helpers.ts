import { eq } from "drizzle-orm";
import type { Database } from "../../../drizzle/client.js";
import { workspaces } from "../../../drizzle/schema/index.js";

/** Give a test workspace an email domain: addresses in it count as internal for share_document. */
export async function setWorkspaceEmailDomain(db: Database, workspaceId: string, emailDomain: string | null): Promise<void> {
  await db.update(workspaces).set({ emailDomain }).where(eq(workspaces.id, workspaceId));
}

export interface DocumentResult {
  id: string;
  title: string;
  webViewLink: string;
  createdTime: string;
  modifiedTime: string;
}

export interface RevisionResult {
  id: string;
  modifiedTime: string;
  modifiedByMe: boolean;
  modifiedByEmail: string | null;
}

export interface PermissionResult {
  id: string;
  documentId: string;
  email: string;
  role: string;
  external: boolean;
  notified: boolean;
}

export interface ReadResult {
  document: DocumentResult;
  revisionId: string | null;
  content: { untrusted: true; source: string; text: string };
}

/** The Markdown inside a fenced read_document result. */
export function unfence(text: string): string {
  return text.split("\n").slice(1, -1).join("\n");
}
