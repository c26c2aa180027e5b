import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../lib/config.js";
import { apiRoutes, createApi } from "./app.js";
import { buildOpenApiDocument, openApiPath, type OpenApiDocument } from "./openapi.js";
import { createHarness, type Harness } from "./testing/harness.js";

let h: Harness;
let doc: OpenApiDocument;

beforeAll(async () => {
  h = await createHarness();
  doc = (await request(h.app.callback()).get("/openapi.json").expect(200)).body as OpenApiDocument;
});
afterAll(async () => {
  await h.close();
});

type Operation = { operationId: string; security: unknown[]; parameters: { name: string; in: string; required: boolean }[]; requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }; responses: Record<string, unknown> };

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]): [string, string, Operation] => [path, method, op as Operation]));
}

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document generated from the routes the app serves", () => {
    expect(doc.openapi).toBe("3.1.0");
    const routes = apiRoutes(h.deps, () => buildOpenApiDocument([]));
    for (const route of routes) expect(doc.paths[openApiPath(route.path)]?.[route.method], `${route.method} ${route.path}`).toBeDefined();
    expect(operations()).toHaveLength(routes.length);
  });

  it("covers every route of the HTTP contract", () => {
    const contract = [
      ["post", "/v1/conversations"],
      ["get", "/v1/conversations"],
      ["post", "/v1/conversations/{id}/messages"],
      ["get", "/v1/conversations/{id}"],
      ["get", "/v1/runs/{id}"],
      ["get", "/v1/runs/{id}/stream"],
      ["post", "/v1/runs/{id}/cancel"],
      ["get", "/v1/approvals"],
      ["post", "/v1/approvals/{id}"],
      ["get", "/v1/events"],
      ["get", "/v1/events/{id}"],
      ["get", "/v1/outbox"],
      ["get", "/healthz"],
      ["get", "/readyz"],
      ["get", "/metrics"],
      ["get", "/openapi.json"],
    ] as const;
    for (const [method, path] of contract) expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });

  it("declares every path parameter, a bearer key on every /v1 route, and unique operation ids", () => {
    const ids = new Set<string>();
    for (const [path, method, op] of operations()) {
      for (const name of path.match(/\{([^}]+)\}/g)?.map((p) => p.slice(1, -1)) ?? []) {
        expect(op.parameters, `${method} ${path}`).toContainEqual(expect.objectContaining({ name, in: "path", required: true }));
      }
      expect(op.security.length > 0, `${method} ${path} security`).toBe(path.startsWith("/v1/"));
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
    }
  });

  it("describes bodies, headers and errors from the same schemas the routes validate with", () => {
    const send = doc.paths["/v1/conversations/{id}/messages"]?.post as Operation;
    const body = send.requestBody?.content["application/json"]?.schema;
    expect(body?.required).toEqual(["content"]);
    expect(body?.properties?.content).toMatchObject({ type: "string", maxLength: 100_000 });
    expect(send.parameters).toContainEqual(expect.objectContaining({ name: "idempotency-key", in: "header", required: false }));
    expect(send.responses["400"]).toEqual({ description: expect.any(String) as string, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
    const decide = doc.paths["/v1/approvals/{id}"]?.post as Operation;
    expect(decide.requestBody?.content["application/json"]?.schema.properties?.decision).toMatchObject({ enum: ["approve", "reject"] });
    const run = doc.paths["/v1/runs/{id}"]?.get as Operation;
    expect(JSON.stringify(run.responses["200"])).toContain('"format":"date-time"');
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"] });
  });

  it("documents only what is actually served: each operation answers (401 without a key), never 'no route'", async () => {
    for (const [path, method] of operations()) {
      const url = path.replace(/\{[^}]+\}/g, "0190b3c4-9a4e-7d2c-8f00-000000000000");
      const res = method === "post" ? await request(h.app.callback()).post(url) : await request(h.app.callback()).get(url);
      expect(res.status, `${method} ${path}`).toBe(path.startsWith("/v1/") ? 401 : 200);
    }
  });
});

describe("GET /openapi.json with every integration configured", () => {
  it("documents the four webhooks, without a bearer key, and each one answers an unsigned request with 401", async () => {
    const config = loadConfig({
      NODE_ENV: "test",
      SLACK_SIGNING_SECRET: "slack-signing-secret-for-openapi",
      STRIPE_WEBHOOK_SECRET: "whsec_openapi0123456789",
      TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "twilio-auth-token-for-openapi",
      TWILIO_FROM_NUMBER: "+15005550006",
    });
    const app = createApi({ ...h.deps, config });
    const full = (await request(app.callback()).get("/openapi.json").expect(200)).body as OpenApiDocument;
    const webhooks = ["/webhooks/slack/events", "/webhooks/slack/interactions", "/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/stripe"];
    for (const path of webhooks) {
      const op = full.paths[path]?.post as Operation | undefined;
      expect(op, path).toBeDefined();
      expect(op!.security, path).toEqual([]);
      expect(Object.keys(op!.responses), path).toContain("401");
      expect(Object.keys(op!.responses).some((status) => status.startsWith("2")), path).toBe(true);
      expect((await request(app.callback()).post(path).send("x=1")).status, path).toBe(401);
    }
    // Without their secrets (the default harness), the webhooks are not served and not documented.
    for (const path of webhooks) expect(doc.paths[path], path).toBeUndefined();
  });
});

