import { createHash } from "node:crypto";
import type { drive_v3 } from "googleapis";
import { z } from "zod";
import { AppError } from "../../../lib/errors.js";
import type { ToolContext } from "../../host/context.js";
import {
  GOOGLE_DOC_MIME_TYPE,
  MARKDOWN_MIME_TYPE,
  SHARE_ROLES,
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
 * Google Drive through the official `googleapis` SDK (Drive v3, OAuth2 with a refresh token).
 *
 * Documents are Google Docs: the Markdown is uploaded as text/markdown with the Doc mime type, so
 * Drive converts it and people can edit and comment in Docs; reading exports text/markdown back.
 * The round trip is Docs' own conversion, so formatting Docs has no Markdown for is simplified.
 *
 * One Google account serves every workspace, so each file carries private appProperties (only this
 * OAuth client can see or set them): the workspace that created it, and hashes of the idempotency
 * keys that created it and last saved it. A file without this workspace's mark is "not found".
 */

const APP_WORKSPACE = "eventPlannerWorkspace";
const APP_CREATE_KEY = "eventPlannerCreateKey";
const APP_UPDATE_KEY = "eventPlannerUpdateKey";

const FILE_FIELDS = "id,name,mimeType,webViewLink,createdTime,modifiedTime,trashed,appProperties";
const REVISION_FIELDS = "nextPageToken,revisions(id,modifiedTime,lastModifyingUser(emailAddress,me))";
const PERMISSION_FIELDS = "id,type,emailAddress,role";
/** Enough pages to find the head revision of any planning document without looping forever. */
const MAX_REVISION_PAGES = 20;

export interface GoogleDriveBackendOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** GOOGLE_BASE_URL: one origin standing in for both www.googleapis.com and oauth2.googleapis.com (tests' fake). */
  baseUrl?: string;
  /**
   * The SDK retries GET/PUT on 429 and 5xx with backoff (never POST, so never a second file). Tests
   * turn it off to see the first error at once.
   */
  retry?: boolean;
  timeoutMs?: number;
}

/**
 * appProperties hold at most 124 bytes per key and value, and keys are up to 200 characters: a
 * hash fits, and queries match it exactly. The workspace is part of it so two workspaces' equal
 * keys stay two actions.
 */
export function keyMark(workspaceId: string, idempotencyKey: string): string {
  return createHash("sha256").update(`${workspaceId}\n${idempotencyKey}`).digest("base64url");
}

/** A string literal inside a Drive query: backslash and quote are the characters to escape. */
export function driveQueryString(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

const hasAppProperty = (key: string, value: string) => `appProperties has { key=${driveQueryString(key)} and value=${driveQueryString(value)} }`;

const googleApiError = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional(), message: z.string().optional() })).optional(),
  }),
});
const oauthError = z.object({ error: z.string(), error_description: z.string().optional() });
const httpFailure = z.object({ status: z.number().optional(), message: z.string().optional(), response: z.object({ status: z.number(), data: z.unknown() }).optional() });

type Operation = "create" | "read" | "update" | "search" | "share" | "revisions";

/** Drive's answer in a planner's words and our codes; the id and field say what to fix. */
export function mapDriveError(error: unknown, operation: Operation, documentId?: string): AppError {
  if (error instanceof AppError) return error;
  const failure = httpFailure.safeParse(error);
  const status = failure.success ? (failure.data.response?.status ?? failure.data.status) : undefined;
  const body = failure.success ? failure.data.response?.data : undefined;
  const oauth = oauthError.safeParse(body);
  if (oauth.success) {
    return new AppError(
      "upstream_failed",
      `Google refused the configured OAuth credentials (${oauth.data.error}${oauth.data.error_description ? `: ${oauth.data.error_description}` : ""}); check GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN`,
      { vendorStatus: status, vendorReason: oauth.data.error },
      { cause: error },
    );
  }
  const api = googleApiError.safeParse(body);
  const reason = api.success ? api.data.error.errors?.[0]?.reason : undefined;
  const message = api.success ? (api.data.error.message ?? "") : failure.success ? (failure.data.message ?? "") : String(error);
  const details = { vendorStatus: status, vendorReason: reason };
  const what = documentId ? `document ${documentId}` : "Google Drive";
  if (status === 429 || reason === "rateLimitExceeded" || reason === "userRateLimitExceeded" || reason === "sharingRateLimitExceeded") {
    return new AppError("rate_limited", `Google Drive is rate limiting requests (${reason ?? status}); wait a minute before trying again`, details, { cause: error });
  }
  if (status === 404) return new AppError("not_found", `documentId: ${what} was not found, or this account cannot see it (${message})`, { ...details, field: "documentId" }, { cause: error });
  if (reason === "invalidSharingRequest") {
    return new AppError("validation_failed", `email: Drive refused the share: ${message} (an address without a Google account can only be invited with notify: true)`, { ...details, field: "email" }, { cause: error });
  }
  if (status === 401) return new AppError("upstream_failed", `Google rejected the access token (${message}); check the Google credentials`, details, { cause: error });
  if (status === 403) {
    const action = operation === "share" ? "share" : operation === "update" ? "edit" : operation === "create" ? "create files in" : "read";
    return new AppError("forbidden", `The planner's Google account may not ${action} ${what} (${reason ?? "forbidden"}: ${message})`, details, { cause: error });
  }
  if (status === 400) return new AppError("validation_failed", `Google Drive refused the request: ${message}`, details, { cause: error });
  if (status === 409 || status === 412) return new AppError("conflict", `${what} changed during the request (${message}); read it again and retry`, details, { cause: error });
  if (status !== undefined) return new AppError("upstream_failed", `Google Drive failed (${status}${reason ? ` ${reason}` : ""}): ${message}`, details, { cause: error });
  return new AppError("upstream_failed", `Google Drive could not be reached: ${message}`, undefined, { cause: error });
}

function notFound(documentId: string): AppError {
  return new AppError("not_found", `documentId: document ${documentId} was not found in this workspace's documents`, { field: "documentId", id: documentId });
}

function presentFile(file: drive_v3.Schema$File): DriveDocument {
  if (!file.id) throw new AppError("upstream_failed", "Google Drive returned a file without an id");
  return {
    id: file.id,
    title: file.name ?? "",
    webViewLink: file.webViewLink ?? `https://docs.google.com/document/d/${file.id}/edit`,
    createdTime: file.createdTime ?? "",
    modifiedTime: file.modifiedTime ?? "",
  };
}

function presentRevision(revision: drive_v3.Schema$Revision): DriveRevision {
  return {
    id: revision.id ?? "",
    modifiedTime: revision.modifiedTime ?? "",
    modifiedByMe: revision.lastModifyingUser?.me ?? false,
    modifiedByEmail: revision.lastModifyingUser?.emailAddress ?? null,
  };
}

const sharedRole = z.enum([...SHARE_ROLES, "owner"]);

function presentPermission(permission: drive_v3.Schema$Permission, documentId: string, external: boolean, notified: boolean): DrivePermission {
  const role = sharedRole.safeParse(permission.role);
  return {
    id: permission.id ?? "",
    documentId,
    email: (permission.emailAddress ?? "").toLowerCase(),
    // Drive's other roles (fileOrganizer, organizer) only exist on shared drives; they can edit.
    role: role.success ? role.data : "writer",
    external,
    notified,
  };
}

export function createGoogleDriveBackend(options: GoogleDriveBackendOptions): GdriveBackend {
  let client: Promise<drive_v3.Drive> | undefined;
  const rootUrl = options.baseUrl ? `${options.baseUrl.replace(/\/+$/, "")}/` : undefined;
  // The SDK builds upload URLs (/upload/drive/v3/…) from the per-call rootUrl only; the global one
  // rewrites the metadata URL it then replaces. So uploads repeat the override.
  const uploadOptions = rootUrl ? { rootUrl } : {};

  /** googleapis takes ~0.6 s to load, so it loads on the first call, not in every sandbox process. */
  function drive(): Promise<drive_v3.Drive> {
    client ??= import("googleapis").then(({ google }) => {
      const auth = new google.auth.OAuth2({
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        ...(rootUrl ? { endpoints: { oauth2TokenUrl: new URL("token", rootUrl).toString() } } : {}),
      });
      auth.setCredentials({ refresh_token: options.refreshToken });
      return google.drive({ version: "v3", auth, rootUrl, retry: options.retry ?? true, timeout: options.timeoutMs ?? 30_000 });
    });
    return client;
  }

  async function call<T>(operation: Operation, documentId: string | undefined, run: (api: drive_v3.Drive) => Promise<T>): Promise<T> {
    const api = await drive();
    try {
      return await run(api);
    } catch (error) {
      throw mapDriveError(error, operation, documentId);
    }
  }

  /** The file, if it is a Doc this workspace created; anything else reads as not found. */
  async function ownedFile(ctx: ToolContext, operation: Operation, documentId: string): Promise<drive_v3.Schema$File> {
    const { data } = await call(operation, documentId, (api) => api.files.get({ fileId: documentId, fields: FILE_FIELDS }));
    if (data.appProperties?.[APP_WORKSPACE] !== ctx.workspaceId || data.mimeType !== GOOGLE_DOC_MIME_TYPE || data.trashed) throw notFound(documentId);
    return data;
  }

  /** Every revision, oldest first as Drive lists them. */
  async function allRevisions(operation: Operation, documentId: string): Promise<drive_v3.Schema$Revision[]> {
    const revisions: drive_v3.Schema$Revision[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_REVISION_PAGES; page++) {
      const { data } = await call(operation, documentId, (api) => api.revisions.list({ fileId: documentId, pageSize: 1000, pageToken, fields: REVISION_FIELDS }));
      revisions.push(...(data.revisions ?? []));
      pageToken = data.nextPageToken ?? undefined;
      if (!pageToken) break;
    }
    return revisions;
  }

  async function headRevision(operation: Operation, documentId: string): Promise<drive_v3.Schema$Revision | undefined> {
    return (await allRevisions(operation, documentId)).at(-1);
  }

  return {
    kind: "google",

    async createDocument(ctx, input: CreateDocumentInput) {
      const mark = keyMark(ctx.workspaceId, input.idempotencyKey);
      // The key's mark on an existing file means an earlier attempt created it (perhaps its answer was lost).
      const q = `${hasAppProperty(APP_WORKSPACE, ctx.workspaceId)} and ${hasAppProperty(APP_CREATE_KEY, mark)}`;
      const found = await call("create", undefined, (api) => api.files.list({ q, pageSize: 1, spaces: "drive", fields: `files(${FILE_FIELDS})` }));
      const earlier = found.data.files?.[0];
      if (earlier) return presentFile(earlier);
      const { data } = await call("create", undefined, (api) =>
        api.files.create(
          {
            requestBody: { name: input.title, mimeType: GOOGLE_DOC_MIME_TYPE, appProperties: { [APP_WORKSPACE]: ctx.workspaceId, [APP_CREATE_KEY]: mark } },
            media: { mimeType: MARKDOWN_MIME_TYPE, body: input.markdown },
            fields: FILE_FIELDS,
          },
          uploadOptions,
        ),
      );
      return presentFile(data);
    },

    async readDocument(ctx, documentId) {
      const file = await ownedFile(ctx, "read", documentId);
      const exported = await call("read", documentId, (api) => api.files.export({ fileId: documentId, mimeType: MARKDOWN_MIME_TYPE }, { responseType: "text" }));
      const markdown = typeof exported.data === "string" ? exported.data : JSON.stringify(exported.data);
      const head = await headRevision("read", documentId);
      return { document: presentFile(file), markdown, revisionId: head?.id ?? null };
    },

    async updateDocument(ctx, input: UpdateDocumentInput) {
      const file = await ownedFile(ctx, "update", input.documentId);
      const mark = keyMark(ctx.workspaceId, input.idempotencyKey);
      const head = await headRevision("update", input.documentId);
      // This key's save already happened: a retry must not overwrite edits people made since.
      if (file.appProperties?.[APP_UPDATE_KEY] === mark) return { document: presentFile(file), revision: presentRevision(head ?? {}) };
      if (input.baseRevisionId !== undefined && head?.id && head.id !== input.baseRevisionId) {
        throw new AppError("conflict", `baseRevisionId: the document changed since revision ${input.baseRevisionId} (head is ${head.id}); read it again and merge before saving`, {
          field: "baseRevisionId",
          headRevisionId: head.id,
        });
      }
      const { data } = await call("update", input.documentId, (api) =>
        api.files.update(
          {
            fileId: input.documentId,
            requestBody: { ...(input.title !== undefined ? { name: input.title } : {}), appProperties: { [APP_UPDATE_KEY]: mark } },
            media: { mimeType: MARKDOWN_MIME_TYPE, body: input.markdown },
            fields: FILE_FIELDS,
          },
          uploadOptions,
        ),
      );
      const saved = await headRevision("update", input.documentId);
      return { document: presentFile(data), revision: presentRevision(saved ?? {}) };
    },

    async searchDocuments(ctx, input: SearchDocumentsInput) {
      const clauses = [hasAppProperty(APP_WORKSPACE, ctx.workspaceId), `mimeType = ${driveQueryString(GOOGLE_DOC_MIME_TYPE)}`, "trashed = false"];
      if (input.text !== undefined) clauses.push(`(name contains ${driveQueryString(input.text)} or fullText contains ${driveQueryString(input.text)})`);
      const { data } = await call("search", undefined, (api) =>
        api.files.list({
          q: clauses.join(" and "),
          pageSize: input.limit,
          spaces: "drive",
          // Drive refuses orderBy together with fullText (results come by relevance then).
          ...(input.text === undefined ? { orderBy: "modifiedTime desc" } : {}),
          fields: `files(${FILE_FIELDS})`,
        }),
      );
      return (data.files ?? []).map(presentFile);
    },

    async shareDocument(ctx, input: ShareDocumentInput) {
      const { external } = await checkShareAllowed(ctx, input.email, input.allowExternal);
      await ownedFile(ctx, "share", input.documentId);
      const existing = await findPermission(input.documentId, input.email);
      // One permission per person per file: a repeat (or a retry after a lost answer) sends no second email.
      if (existing?.role === input.role) return presentPermission(existing, input.documentId, external, false);
      if (existing?.role === "owner") throw new AppError("forbidden", `email: ${input.email} owns this document; the owner's access cannot be changed`, { field: "email" });
      if (existing?.id) {
        const permissionId = existing.id;
        const { data } = await call("share", input.documentId, (api) => api.permissions.update({ fileId: input.documentId, permissionId, requestBody: { role: input.role }, fields: PERMISSION_FIELDS }));
        return presentPermission(data, input.documentId, external, false);
      }
      const { data } = await call("share", input.documentId, (api) =>
        api.permissions.create({
          fileId: input.documentId,
          sendNotificationEmail: input.notify,
          ...(input.notify && input.message ? { emailMessage: input.message } : {}),
          requestBody: { type: "user", role: input.role, emailAddress: input.email },
          fields: PERMISSION_FIELDS,
        }),
      );
      return presentPermission(data, input.documentId, external, input.notify);
    },

    async listRevisions(ctx, documentId, limit) {
      await ownedFile(ctx, "revisions", documentId);
      const revisions = await allRevisions("revisions", documentId);
      return revisions.reverse().slice(0, limit).map(presentRevision);
    },
  };

  async function findPermission(documentId: string, email: string): Promise<drive_v3.Schema$Permission | undefined> {
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_REVISION_PAGES; page++) {
      const { data } = await call("share", documentId, (api) => api.permissions.list({ fileId: documentId, pageSize: 100, pageToken, fields: `nextPageToken,permissions(${PERMISSION_FIELDS})` }));
      const match = data.permissions?.find((p) => p.type === "user" && p.emailAddress?.toLowerCase() === email.toLowerCase());
      if (match) return match;
      pageToken = data.nextPageToken ?? undefined;
      if (!pageToken) return undefined;
    }
    return undefined;
  }
}
