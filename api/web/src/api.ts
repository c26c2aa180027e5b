/**
 * The UI's only way to the server: the HTTP API with the signed-in key as a bearer token. Errors come
 * back as ApiError carrying the API's code and its plain-words message.
 */
import type { Accepted, Approval, Conversation, EventDetails, EventSummary, ListOf, OutboxKind, Run, SandboxObject, Thread } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const UNREACHABLE = "Could not reach the event planner. Is the server (npm start) still running?";

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

async function errorFrom(response: Response): Promise<ApiError> {
  let body: ErrorBody | undefined;
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    body = undefined;
  }
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${response.status}`;
  const message = typeof body?.error?.message === "string" ? body.error.message : `The server answered ${response.status} ${response.statusText}.`;
  return new ApiError(response.status, code, message, body?.error?.details);
}

export type Unauthorized = (error: ApiError) => void;

export class Api {
  constructor(
    readonly key: string,
    private readonly onUnauthorized: Unauthorized = () => undefined,
  ) {}

  authHeaders(): Record<string, string> {
    return { Authorization: `Bearer ${this.key}` };
  }

  async request<T>(method: "GET" | "POST", path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(path, {
        method,
        headers: { ...this.authHeaders(), Accept: "application/json", ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
        body: body !== undefined ? JSON.stringify(body) : null,
      });
    } catch {
      throw new ApiError(0, "unreachable", UNREACHABLE);
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401) this.onUnauthorized(error);
      throw error;
    }
    return (await response.json()) as T;
  }

  listConversations = () => this.request<ListOf<Conversation>>("GET", "/v1/conversations?limit=100");
  createConversation = (title?: string) => this.request<Conversation>("POST", "/v1/conversations", title ? { title } : {});
  thread = (id: string) => this.request<Thread>("GET", `/v1/conversations/${encodeURIComponent(id)}`);
  /** The Idempotency-Key makes a retried send (a flaky network) store the message once. */
  sendMessage = (conversationId: string, content: string, idempotencyKey: string) =>
    this.request<Accepted>("POST", `/v1/conversations/${encodeURIComponent(conversationId)}/messages`, { content }, { "Idempotency-Key": idempotencyKey });
  run = (id: string) => this.request<Run>("GET", `/v1/runs/${encodeURIComponent(id)}`);
  cancelRun = (id: string) => this.request<Run>("POST", `/v1/runs/${encodeURIComponent(id)}/cancel`);
  approvals = (query: { status?: string; runId?: string } = {}) => {
    const params = new URLSearchParams({ limit: "100", ...query });
    return this.request<ListOf<Approval>>("GET", `/v1/approvals?${params.toString()}`);
  };
  decide = (id: string, body: { decision: "approve" | "reject"; note?: string; editedArgs?: Record<string, unknown> }) =>
    this.request<Approval>("POST", `/v1/approvals/${encodeURIComponent(id)}`, body);
  events = () => this.request<ListOf<EventSummary>>("GET", "/v1/events?limit=100");
  event = (id: string) => this.request<EventDetails>("GET", `/v1/events/${encodeURIComponent(id)}`);
  outbox = (kind?: OutboxKind) => this.request<ListOf<SandboxObject>>("GET", `/v1/outbox?limit=100${kind ? `&kind=${kind}` : ""}`);
}

/** A plain-words message for anything thrown while talking to the API. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}
