/**
 * A route is data: method, path, the zod schemas of its params, query, headers and body, its
 * responses, and a handler. The same definition registers the Koa route (which validates with
 * those schemas) and generates its OpenAPI entry, so the document cannot drift from what runs.
 */
import type { Router, RouterMiddleware } from "@koa/router";
import type { Middleware } from "koa";
import type { z } from "zod";
import { parseInput } from "../lib/validation.js";
import type { ApiContext, ApiContextExtras, ApiState } from "./state.js";

export interface RouteRequest {
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Header names in lower case, as Node delivers them. */
  headers?: z.ZodObject;
  body?: z.ZodType;
}

export interface RouteResponse {
  description: string;
  /** The JSON body's schema; omitted when the body is not JSON (see contentType) or there is none. */
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentType?: string;
}

/** Distributes over a union, so the general RouteRequest gets "parsed or undefined" for each part. */
type OutputOf<T> = T extends z.ZodType ? z.output<T> : undefined;
type Parsed<S extends RouteRequest, K extends keyof RouteRequest> = OutputOf<S[K]>;

export interface RouteInput<S extends RouteRequest> {
  params: Parsed<S, "params">;
  query: Parsed<S, "query">;
  headers: Parsed<S, "headers">;
  body: Parsed<S, "body">;
}

export interface RouteDefinition<S extends RouteRequest = RouteRequest> {
  method: "get" | "post";
  /** Koa path template, e.g. `/v1/runs/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Requires an API key, and counts against the key's rate limit. */
  auth: boolean;
  request: S;
  responses: Record<number, RouteResponse>;
  // Method syntax on purpose: it lets a list of routes with different request schemas share one type.
  handle(ctx: ApiContext, input: RouteInput<S>): Promise<void> | void;
}

/** Identity, for inference: the handler's `input` gets the types of the route's own schemas. */
export function defineRoute<S extends RouteRequest>(route: RouteDefinition<S>): RouteDefinition<S> {
  return route;
}

function parseRequest(route: RouteDefinition, ctx: ApiContext & { params: Record<string, string> }): RouteInput<RouteRequest> {
  const { params, query, headers, body } = route.request;
  return {
    params: params ? parseInput(params, ctx.params) : undefined,
    query: query ? parseInput(query, ctx.query) : undefined,
    headers: headers ? parseInput(headers, ctx.headers) : undefined,
    // A POST without a body is an empty object, so `{ title? }`-style bodies may be left out entirely.
    body: body ? parseInput(body, ctx.request.body ?? {}) : undefined,
  };
}

export interface RouteMiddleware {
  /** Run before an authenticated route: authentication, then the rate limit. */
  auth: Middleware<ApiState, ApiContextExtras>[];
  /** Run before a route with a body: parses JSON within the size limit. */
  body: Middleware<ApiState, ApiContextExtras>;
}

export function mountRoutes(router: Router<ApiState, ApiContextExtras>, routes: readonly RouteDefinition[], middleware: RouteMiddleware): void {
  for (const route of routes) {
    const chain: RouterMiddleware<ApiState, ApiContextExtras>[] = [
      async (ctx, next) => {
        ctx.state.route = route.path;
        await next();
      },
      ...(route.auth ? middleware.auth : []),
      ...(route.request.body ? [middleware.body] : []),
      async (ctx) => {
        await route.handle(ctx, parseRequest(route, ctx));
      },
    ];
    router.register(route.path, [route.method.toUpperCase()], chain);
  }
}
