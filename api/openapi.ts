/**
 * The OpenAPI 3.1 document, generated from the route definitions: their zod schemas become JSON
 * Schema with zod's own `z.toJSONSchema` (OpenAPI 3.1 uses JSON Schema 2020-12, zod's default).
 */
import { z } from "zod";
import { ERROR_STATUS } from "./errors.js";
import type { RouteDefinition } from "./route.js";
import { errorSchema } from "./schemas.js";

type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
}

/**
 * Dates leave the API as ISO 8601 strings (JSON.stringify of a Date), so that is what the document
 * says; other values JSON cannot carry are described as "any" rather than failing the build.
 */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: "any",
    override: (ctx) => {
      if (ctx.zodSchema._zod.def.type === "date") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.format = "date-time";
      }
    },
  });
  return rest;
}

const ERROR_REF = { $ref: "#/components/schemas/Error" };

function errorResponse(description: string) {
  return { description, content: { "application/json": { schema: ERROR_REF } } };
}

function parameters(location: "path" | "query" | "header", object: z.ZodObject | undefined) {
  if (!object) return [];
  return Object.entries(object.shape).map(([name, field]) => {
    const schema = field as z.ZodType;
    const { description, ...rest } = jsonSchema(schema, "input");
    return {
      name,
      in: location,
      required: location === "path" || !schema.safeParse(undefined).success,
      ...(typeof description === "string" ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(route: RouteDefinition) {
  const { params, query, headers, body } = route.request;
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    const contentType = response.contentType ?? "application/json";
    // A documented failure without its own schema answers with the one error shape.
    const schema = response.schema ? jsonSchema(response.schema, "output") : Number(status) >= 400 ? ERROR_REF : undefined;
    const content = schema ? { [contentType]: { schema } } : response.contentType ? { [contentType]: {} } : undefined;
    responses[status] = { description: response.description, ...(content ? { content } : {}) };
  }
  // The failures every route of a kind can answer with, from the one error mapper.
  if (params || query || headers || body) responses[ERROR_STATUS.validation_failed] ??= errorResponse("Invalid input; `details.field` names the field");
  if (route.auth) {
    responses[ERROR_STATUS.unauthorized] ??= errorResponse("Missing, malformed or revoked API key");
    responses[ERROR_STATUS.rate_limited] ??= errorResponse("Too many requests for this key; see the Retry-After header");
  }
  if (params) responses[ERROR_STATUS.not_found] ??= errorResponse("No such resource in the key's workspace");
  if (body) responses[ERROR_STATUS.payload_too_large] ??= errorResponse("Body larger than the API accepts");
  responses[ERROR_STATUS.internal] ??= errorResponse("Internal error (logged with the request id)");
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.auth ? [{ bearerAuth: [] }] : [],
    parameters: [...parameters("path", params), ...parameters("query", query), ...parameters("header", headers)],
    ...(body ? { requestBody: { required: !body.safeParse({}).success, content: { "application/json": { schema: jsonSchema(body, "input") } } } } : {}),
    responses,
  };
}

/** `/v1/runs/:id` → `/v1/runs/{id}`. */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

export function buildOpenApiDocument(routes: readonly RouteDefinition[]): OpenApiDocument {
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "event-planner-agent API",
      version: "1.0.0",
      description: "Plan events with an AI agent: send a message, follow the run, approve what costs money or reaches people. Every /v1 route needs `Authorization: Bearer <api key>`; errors are `{ error: { code, message, details? } }`.",
    },
    paths,
    components: {
      schemas: { Error: jsonSchema(errorSchema, "output") },
      securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "An API key from `event-planner keys create --workspace NAME`" } },
    },
  };
}
