import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small Google Drive v3 + OAuth2 token endpoint on 127.0.0.1, speaking the wire format the
 * googleapis SDK uses for the calls the gdrive backend makes: multipart uploads, partial responses
 * (`fields`), Drive's query language (`q`) for the clauses we send, and Google's JSON errors
 * `{ error: { code, message, errors: [{ reason }] } }`. It records every request so tests can
 * assert what the SDK sent, and fails on demand (rate limits, permissions, bad shares).
 */

export const FAKE_ME = { email: "planner@example.com", permissionId: "00000000000000000001", displayName: "Event Planner" } as const;
/** Addresses in this domain have no Google account: Drive refuses to share with them silently. */
export const NO_GOOGLE_ACCOUNT_DOMAIN = "no-google-account.test";

const GOOGLE_DOC = "application/vnd.google-apps.document";
const IMPORTABLE = new Set(["text/markdown", "text/plain", "text/html"]);
const EXPORTABLE = new Set(["text/markdown", "text/plain"]);

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeUser {
  displayName: string;
  emailAddress: string;
  me: boolean;
  permissionId: string;
}

export interface FakeRevision {
  id: string;
  modifiedTime: string;
  content: string;
  lastModifyingUser: FakeUser;
}

export interface FakePermission {
  id: string;
  type: "user";
  emailAddress: string;
  role: string;
}

export interface FakeFile {
  id: string;
  name: string;
  mimeType: string;
  content: string;
  appProperties: Record<string, string>;
  createdTime: string;
  modifiedTime: string;
  trashed: boolean;
  version: number;
  revisions: FakeRevision[];
  permissions: FakePermission[];
  /** What was uploaded, with its media type, so tests see the conversion Drive was asked for. */
  uploads: { mimeType: string; body: string }[];
}

export interface FakeFailure {
  status: number;
  reason: string;
  message: string;
  domain?: string;
}

interface ScriptedFailure {
  method?: string;
  path: RegExp;
  failure: FakeFailure | { oauth: string; description: string; status: number };
  remaining: number;
}

export interface FakeGoogleDriveOptions {
  clientId?: string;
  clientSecret?: string;
  refreshToken?: string;
  /** Defaults to a clock that starts at 2027-01-04T09:00:00Z and ticks one second per reading. */
  now?: () => Date;
}

class HttpFailure extends Error {
  constructor(readonly failure: FakeFailure) {
    super(failure.message);
  }
}

function steppingClock(): () => Date {
  let at = Date.parse("2027-01-04T09:00:00Z");
  return () => new Date((at += 1000));
}

// ---- Drive's query language, for the clauses the backend sends --------------------------------

type Token = { kind: "word"; value: string } | { kind: "string"; value: string } | { kind: "punct"; value: string };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = "";
      i++;
      while (i < q.length && q.charAt(i) !== "'") {
        if (q.charAt(i) === "\\") i++;
        value += q.charAt(i);
        i++;
      }
      if (i >= q.length) throw new HttpFailure({ status: 400, reason: "invalid", message: "Invalid Value" });
      i++;
      tokens.push({ kind: "string", value });
    } else if (c === "!" && q.charAt(i + 1) === "=") {
      tokens.push({ kind: "punct", value: "!=" });
      i += 2;
    } else if ("(){}=".includes(c)) {
      tokens.push({ kind: "punct", value: c });
      i++;
    } else {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(q.slice(i));
      if (!match) throw new HttpFailure({ status: 400, reason: "invalid", message: "Invalid Value" });
      tokens.push({ kind: "word", value: match[0] });
      i += match[0].length;
    }
  }
  return tokens;
}

type Predicate = (file: FakeFile) => boolean;

function parseQuery(q: string): Predicate {
  const tokens = tokenize(q);
  let at = 0;
  const peek = () => tokens[at];
  const invalid = () => new HttpFailure({ status: 400, reason: "invalid", message: "Invalid Value" });
  const next = (): Token => {
    const token = tokens[at++];
    if (!token) throw invalid();
    return token;
  };
  const expect = (value: string) => {
    const token = next();
    if (token.value !== value || token.kind === "string") throw invalid();
  };
  const str = (): string => {
    const token = next();
    if (token.kind !== "string") throw invalid();
    return token.value;
  };
  const isWord = (value: string) => peek()?.kind === "word" && peek()?.value === value;

  function orExpr(): Predicate {
    let left = andExpr();
    while (isWord("or")) {
      at++;
      const l = left;
      const r = andExpr();
      left = (f) => l(f) || r(f);
    }
    return left;
  }
  function andExpr(): Predicate {
    let left = unary();
    while (isWord("and")) {
      at++;
      const l = left;
      const r = unary();
      left = (f) => l(f) && r(f);
    }
    return left;
  }
  function unary(): Predicate {
    if (isWord("not")) {
      at++;
      const inner = unary();
      return (f) => !inner(f);
    }
    if (peek()?.value === "(" && peek()?.kind === "punct") {
      at++;
      const inner = orExpr();
      expect(")");
      return inner;
    }
    return condition();
  }
  function condition(): Predicate {
    const field = next();
    if (field.kind !== "word") throw invalid();
    if (field.value === "appProperties") {
      expect("has");
      expect("{");
      expect("key");
      expect("=");
      const key = str();
      expect("and");
      expect("value");
      expect("=");
      const value = str();
      expect("}");
      return (f) => f.appProperties[key] === value;
    }
    const op = next().value;
    if (field.value === "trashed") {
      const value = next().value === "true";
      return op === "=" ? (f) => f.trashed === value : (f) => f.trashed !== value;
    }
    const value = str().toLowerCase();
    const text = (f: FakeFile) => (field.value === "fullText" ? `${f.name}\n${f.content}` : field.value === "name" ? f.name : field.value === "mimeType" ? f.mimeType : "").toLowerCase();
    if (!["name", "fullText", "mimeType"].includes(field.value)) throw invalid();
    if (op === "contains") return (f) => text(f).includes(value);
    if (op === "=") return (f) => text(f) === value;
    if (op === "!=") return (f) => text(f) !== value;
    throw invalid();
  }

  const predicate = orExpr();
  if (at !== tokens.length) throw invalid();
  return predicate;
}

// ---- partial responses (`fields=`) ------------------------------------------------------------

type FieldMask = Map<string, FieldMask | true>;

function parseFields(fields: string): FieldMask {
  let at = 0;
  function list(): FieldMask {
    const mask: FieldMask = new Map();
    while (at < fields.length && fields.charAt(at) !== ")") {
      const match = /^[A-Za-z_*][A-Za-z0-9_/]*/.exec(fields.slice(at));
      if (!match) throw new HttpFailure({ status: 400, reason: "invalidParameter", message: `Invalid field selection ${fields}` });
      at += match[0].length;
      const path = match[0].split("/");
      let sub: FieldMask | true = true;
      if (fields.charAt(at) === "(") {
        at++;
        sub = list();
        at++;
      }
      // a/b is a(b)
      for (const part of path.slice(1).reverse()) sub = new Map([[part, sub]]);
      mask.set(path[0] ?? "", sub);
      if (fields.charAt(at) === ",") at++;
    }
    return mask;
  }
  return list();
}

function applyMask(value: unknown, mask: FieldMask | true): unknown {
  if (mask === true || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => applyMask(item, mask));
  if (mask.has("*")) return value;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of mask) {
    const field = (value as Record<string, unknown>)[key];
    if (field !== undefined) out[key] = applyMask(field, sub);
  }
  return out;
}

// ---- the server ---------------------------------------------------------------------------------

function parseMultipart(contentType: string, body: string): { metadata: Record<string, unknown>; media: { mimeType: string; body: string } } {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  if (!boundary) throw new HttpFailure({ status: 400, reason: "badContent", message: "Missing multipart boundary" });
  const parts = body
    .split(`--${boundary}`)
    .slice(1)
    // The SDK closes the body with the final boundary (sometimes twice): those pieces start with "--".
    .filter((part) => !part.startsWith("--"))
    .map((part) => {
      const split = part.indexOf("\r\n\r\n");
      const headers = part.slice(0, split);
      const content = part.slice(split + 4).replace(/\r\n$/, "");
      return { type: /content-type:\s*([^\r\n;]+)/i.exec(headers)?.[1]?.trim() ?? "application/octet-stream", content };
    });
  const [meta, media] = parts;
  if (!meta || !media) throw new HttpFailure({ status: 400, reason: "badContent", message: "Multipart upload needs metadata and media parts" });
  return { metadata: JSON.parse(meta.content) as Record<string, unknown>, media: { mimeType: media.type, body: media.content } };
}

export class FakeGoogleDrive {
  readonly requests: RecordedRequest[] = [];
  readonly files = new Map<string, FakeFile>();
  private readonly tokens = new Set<string>();
  private readonly failures: ScriptedFailure[] = [];
  private readonly now: () => Date;
  private server: Server | undefined;
  url = "";

  private constructor(private readonly options: FakeGoogleDriveOptions) {
    this.now = options.now ?? steppingClock();
  }

  static async start(options: FakeGoogleDriveOptions = {}): Promise<FakeGoogleDrive> {
    const fake = new FakeGoogleDrive(options);
    const server = createServer((req, res) => void fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.server = server;
    fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return fake;
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server?.closeAllConnections();
      this.server?.close((error) => (error ? reject(error) : resolve()));
    });
  }

  /** The next `times` requests matching method and path get this Drive error (or an OAuth error on /token). */
  failNext(match: { method?: string; path: RegExp }, failure: ScriptedFailure["failure"], times = 1): void {
    this.failures.push({ ...match, failure, remaining: times });
  }

  /** Requests to the Drive API only (no token refreshes), as `METHOD /path`. */
  calls(): string[] {
    return this.requests.filter((r) => r.path !== "/token").map((r) => `${r.method} ${r.path}`);
  }

  /** A person with edit access changes the document in Docs: a new revision not by the planner. */
  editAsPerson(fileId: string, content: string, emailAddress: string): FakeRevision {
    const file = this.files.get(fileId);
    if (!file) throw new Error(`no file ${fileId}`);
    return this.addRevision(file, content, { displayName: emailAddress.split("@")[0] ?? emailAddress, emailAddress, me: false, permissionId: "00000000000000000042" });
  }

  private addRevision(file: FakeFile, content: string, user: FakeUser): FakeRevision {
    const at = this.now().toISOString();
    const revision: FakeRevision = { id: String(file.revisions.length + 1), modifiedTime: at, content, lastModifyingUser: user };
    file.revisions.push(revision);
    file.content = content;
    file.modifiedTime = at;
    file.version++;
    return revision;
  }

  private me(): FakeUser {
    return { displayName: FAKE_ME.displayName, emailAddress: FAKE_ME.email, me: true, permissionId: FAKE_ME.permissionId };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    const request: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body };
    this.requests.push(request);
    try {
      const scripted = this.failures.find((f) => f.remaining > 0 && f.path.test(request.path) && (!f.method || f.method === request.method));
      if (scripted) {
        scripted.remaining--;
        const failure = scripted.failure;
        if ("oauth" in failure) return this.json(res, failure.status, { error: failure.oauth, error_description: failure.description });
        throw new HttpFailure(failure);
      }
      if (request.path === "/token" && request.method === "POST") return this.token(res, body);
      this.authenticate(req);
      return this.route(request, req.headers["content-type"] ?? "", res);
    } catch (error) {
      if (!(error instanceof HttpFailure)) {
        return this.json(res, 500, { error: { code: 500, message: String(error), errors: [{ reason: "backendError", domain: "global", message: String(error) }] } });
      }
      const { status, reason, message, domain } = error.failure;
      return this.json(res, status, { error: { code: status, message, errors: [{ message, domain: domain ?? "global", reason }] } });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify(body));
  }

  private token(res: ServerResponse, body: string): void {
    const form = new URLSearchParams(body);
    const expected = { client_id: this.options.clientId, client_secret: this.options.clientSecret, refresh_token: this.options.refreshToken };
    if (form.get("grant_type") !== "refresh_token") return this.json(res, 400, { error: "unsupported_grant_type", error_description: "Invalid grant_type" });
    if ((expected.client_id && form.get("client_id") !== expected.client_id) || (expected.client_secret && form.get("client_secret") !== expected.client_secret)) {
      return this.json(res, 401, { error: "invalid_client", error_description: "The OAuth client was not found." });
    }
    if (expected.refresh_token && form.get("refresh_token") !== expected.refresh_token) return this.json(res, 400, { error: "invalid_grant", error_description: "Token has been expired or revoked." });
    const accessToken = `ya29.fake-${randomBytes(8).toString("hex")}`;
    this.tokens.add(accessToken);
    return this.json(res, 200, { access_token: accessToken, expires_in: 3599, token_type: "Bearer", scope: "https://www.googleapis.com/auth/drive.file" });
  }

  private authenticate(req: IncomingMessage): void {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!token || !this.tokens.has(token)) {
      throw new HttpFailure({ status: 401, reason: "authError", message: "Request had invalid authentication credentials. Expected OAuth 2 access token." });
    }
  }

  private file(id: string): FakeFile {
    const file = this.files.get(id);
    if (!file) throw new HttpFailure({ status: 404, reason: "notFound", message: `File not found: ${id}.` });
    return file;
  }

  private resource(file: FakeFile): Record<string, unknown> {
    return {
      kind: "drive#file",
      id: file.id,
      name: file.name,
      mimeType: file.mimeType,
      webViewLink: `https://docs.google.com/document/d/${file.id}/edit?usp=drivesdk`,
      createdTime: file.createdTime,
      modifiedTime: file.modifiedTime,
      trashed: file.trashed,
      version: String(file.version),
      appProperties: file.appProperties,
      owners: [{ kind: "drive#user", displayName: FAKE_ME.displayName, emailAddress: FAKE_ME.email, me: true, permissionId: FAKE_ME.permissionId }],
    };
  }

  private respondFile(res: ServerResponse, file: FakeFile, fields: string | undefined): void {
    const resource = this.resource(file);
    this.json(res, 200, fields ? applyMask(resource, parseFields(fields)) : { kind: "drive#file", id: file.id, name: file.name, mimeType: file.mimeType });
  }

  private route(request: RecordedRequest, contentType: string, res: ServerResponse): void {
    const { method, path, query } = request;
    const fields = query.fields;
    let m: RegExpExecArray | null;

    if (method === "POST" && path === "/upload/drive/v3/files") {
      if (query.uploadType !== "multipart") throw new HttpFailure({ status: 400, reason: "badRequest", message: "Unsupported upload type" });
      const { metadata, media } = parseMultipart(contentType, request.body);
      const mimeType = typeof metadata.mimeType === "string" ? metadata.mimeType : media.mimeType;
      if (mimeType === GOOGLE_DOC && !IMPORTABLE.has(media.mimeType)) throw new HttpFailure({ status: 400, reason: "badRequest", message: "Bad Request: the media cannot be converted to a Google Doc." });
      const at = this.now().toISOString();
      const file: FakeFile = {
        id: `1${randomBytes(33).toString("base64url").slice(0, 43)}`,
        name: typeof metadata.name === "string" ? metadata.name : "Untitled",
        mimeType,
        content: "",
        appProperties: { ...(metadata.appProperties as Record<string, string> | undefined) },
        createdTime: at,
        modifiedTime: at,
        trashed: false,
        version: 1,
        revisions: [],
        permissions: [{ id: FAKE_ME.permissionId, type: "user", emailAddress: FAKE_ME.email, role: "owner" }],
        uploads: [media],
      };
      this.addRevision(file, media.body, this.me());
      this.files.set(file.id, file);
      return this.respondFile(res, file, fields);
    }

    if (method === "PATCH" && (m = /^\/upload\/drive\/v3\/files\/([^/]+)$/.exec(path))) {
      const file = this.file(m[1] ?? "");
      const { metadata, media } = query.uploadType === "multipart" ? parseMultipart(contentType, request.body) : { metadata: {}, media: { mimeType: contentType, body: request.body } };
      if (file.mimeType === GOOGLE_DOC && !IMPORTABLE.has(media.mimeType)) throw new HttpFailure({ status: 400, reason: "badRequest", message: "Bad Request: the media cannot be converted to a Google Doc." });
      if (typeof metadata.name === "string") file.name = metadata.name;
      Object.assign(file.appProperties, metadata.appProperties as Record<string, string> | undefined);
      file.uploads.push(media);
      this.addRevision(file, media.body, this.me());
      return this.respondFile(res, file, fields);
    }

    if (method === "GET" && path === "/drive/v3/files") {
      const predicate = query.q ? parseQuery(query.q) : () => true;
      if (query.orderBy && query.q?.includes("fullText")) throw new HttpFailure({ status: 400, reason: "invalid", message: "Sorting is not supported for queries with fullText terms. Results are always in descending relevance order." });
      let files = [...this.files.values()].filter(predicate);
      if (query.orderBy === "modifiedTime desc") files = files.sort((a, b) => b.modifiedTime.localeCompare(a.modifiedTime));
      const pageSize = Math.min(Number(query.pageSize ?? 100), 1000);
      const start = Number(query.pageToken ?? 0);
      const page = files.slice(start, start + pageSize);
      const nextPageToken = start + pageSize < files.length ? String(start + pageSize) : undefined;
      const list = { kind: "drive#fileList", incompleteSearch: false, nextPageToken, files: page.map((f) => this.resource(f)) };
      return this.json(res, 200, fields ? applyMask(list, parseFields(fields)) : { ...list, files: page.map((f) => ({ kind: "drive#file", id: f.id, name: f.name, mimeType: f.mimeType })) });
    }

    if (method === "GET" && (m = /^\/drive\/v3\/files\/([^/]+)\/export$/.exec(path))) {
      const file = this.file(m[1] ?? "");
      if (file.mimeType !== GOOGLE_DOC) throw new HttpFailure({ status: 403, reason: "fileNotExportable", message: "Export only supports Docs Editors files." });
      if (!query.mimeType || !EXPORTABLE.has(query.mimeType)) throw new HttpFailure({ status: 400, reason: "badRequest", message: "The requested conversion is not supported." });
      res.writeHead(200, { "content-type": `${query.mimeType}; charset=utf-8` });
      res.end(file.content);
      return;
    }

    if (method === "GET" && (m = /^\/drive\/v3\/files\/([^/]+)$/.exec(path))) {
      const file = this.file(m[1] ?? "");
      if (query.alt === "media") {
        if (file.mimeType === GOOGLE_DOC) throw new HttpFailure({ status: 403, reason: "fileNotDownloadable", message: "Only files with binary content can be downloaded. Use Export with Docs Editors files." });
        res.writeHead(200, { "content-type": file.mimeType });
        res.end(file.content);
        return;
      }
      return this.respondFile(res, file, fields);
    }

    if (method === "GET" && (m = /^\/drive\/v3\/files\/([^/]+)\/revisions$/.exec(path))) {
      const file = this.file(m[1] ?? "");
      const pageSize = Math.min(Number(query.pageSize ?? 200), 1000);
      const start = Number(query.pageToken ?? 0);
      const page = file.revisions.slice(start, start + pageSize).map((r) => ({
        kind: "drive#revision",
        id: r.id,
        mimeType: GOOGLE_DOC,
        modifiedTime: r.modifiedTime,
        lastModifyingUser: { kind: "drive#user", ...r.lastModifyingUser },
      }));
      const nextPageToken = start + pageSize < file.revisions.length ? String(start + pageSize) : undefined;
      const list = { kind: "drive#revisionList", nextPageToken, revisions: page };
      return this.json(res, 200, fields ? applyMask(list, parseFields(fields)) : list);
    }

    if ((m = /^\/drive\/v3\/files\/([^/]+)\/permissions(?:\/([^/]+))?$/.exec(path))) {
      const file = this.file(m[1] ?? "");
      const permissionId = m[2];
      const present = (p: FakePermission) => {
        const resource = { kind: "drive#permission", ...p };
        return fields ? applyMask(resource, parseFields(fields)) : { kind: "drive#permission", id: p.id, type: p.type, role: p.role };
      };
      if (method === "GET" && !permissionId) {
        const list = { kind: "drive#permissionList", permissions: file.permissions.map((p) => ({ kind: "drive#permission", ...p })) };
        return this.json(res, 200, fields ? applyMask(list, parseFields(fields)) : list);
      }
      if (method === "POST" && !permissionId) {
        const input = JSON.parse(request.body || "{}") as { type?: string; role?: string; emailAddress?: string };
        if (input.type !== "user" || !input.emailAddress || !input.role) throw new HttpFailure({ status: 400, reason: "required", message: "A permission needs type, role and emailAddress." });
        if (!["reader", "commenter", "writer"].includes(input.role)) throw new HttpFailure({ status: 400, reason: "invalidSharingRequest", message: `Bad Request. Invalid role ${input.role}.` });
        if (input.emailAddress.toLowerCase().endsWith(`@${NO_GOOGLE_ACCOUNT_DOMAIN}`) && query.sendNotificationEmail === "false") {
          throw new HttpFailure({
            status: 400,
            reason: "invalidSharingRequest",
            message: `Bad Request. User message: "You are trying to invite ${input.emailAddress}. Since there is no Google account associated with this email address, you must check the "Notify people" box to invite this recipient."`,
          });
        }
        const email = input.emailAddress.toLowerCase();
        const existing = file.permissions.find((p) => p.emailAddress === email);
        const permission: FakePermission = existing ?? { id: String(10_000_000_000_000_000_000n + BigInt(file.permissions.length)), type: "user", emailAddress: email, role: input.role };
        permission.role = input.role;
        if (!existing) file.permissions.push(permission);
        return this.json(res, 200, present(permission));
      }
      if (method === "PATCH" && permissionId) {
        const permission = file.permissions.find((p) => p.id === permissionId);
        if (!permission) throw new HttpFailure({ status: 404, reason: "notFound", message: `Permission not found: ${permissionId}.` });
        const input = JSON.parse(request.body || "{}") as { role?: string };
        if (permission.role === "owner") throw new HttpFailure({ status: 403, reason: "insufficientFilePermissions", message: "The owner's role cannot be changed." });
        if (input.role) permission.role = input.role;
        return this.json(res, 200, present(permission));
      }
    }

    throw new HttpFailure({ status: 404, reason: "notFound", message: `Not Found: ${method} ${path}` });
  }
}
