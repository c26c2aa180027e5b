/**
 * Property-based fuzzing of every route the API serves (webhooks included, with every integration
 * configured): arbitrary path parameters, queries, JSON bodies, broken JSON and forged signatures,
 * sent over a real socket with a valid API key. Whatever arrives, the answer is never a 5xx, the
 * process never crashes, and a 4xx says what was wrong in the contract's error shape, naming the
 * field when the input failed validation. Oversized and deeply nested bodies are refused early.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../lib/config.js";
import { apiRoutes, createApi } from "./app.js";
import { buildOpenApiDocument } from "./openapi.js";
import type { RouteDefinition } from "./route.js";
import { createHarness, type Harness } from "./testing/harness.js";

/** Every integration configured, so every webhook route is mounted and fuzzed too. */
const CONFIG = {
  NODE_ENV: "test",
  SLACK_SIGNING_SECRET: "slack-signing-secret-for-fuzzing",
  APPROVAL_SIGNING_SECRET: "approval-signing-secret-for-fuzzing-0123456789",
  STRIPE_WEBHOOK_SECRET: "whsec_fuzzing0123456789",
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "twilio-auth-token-for-fuzzing",
  TWILIO_FROM_NUMBER: "+15005550006",
} as const;

/** At least 10,000 requests over all routes together (the issue's floor). */
const TOTAL_CASES = 10_000;

let h: Harness;
let base: string;
let auth: string;
let routes: RouteDefinition[];

beforeAll(async () => {
  h = await createHarness();
  const deps = { ...h.deps, config: loadConfig(CONFIG) };
  const app = createApi(deps);
  const server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  routes = apiRoutes(deps, () => buildOpenApiDocument([]));
  auth = (await h.workspace()).auth;
});
afterAll(async () => {
  await h.close();
});

const errorBody = z.object({ error: z.object({ code: z.string().min(1), message: z.string().min(1), details: z.record(z.string(), z.unknown()).optional() }) });

/** The keys a schema knows, so generated inputs hit real fields as well as unknown ones. */
function knownKeys(schema: z.ZodType | undefined): string[] {
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

const hostileString = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  fc.constantFrom("", " ", "0", "-1", "1e309", "NaN", "null", "true", "../../etc/passwd", "' OR 1=1 --", "<script>alert(1)</script>", "%00", "\u0000", "a".repeat(5_000)),
  fc.uuid(),
  fc.integer().map(String),
);

const pathParam = hostileString.map((value) => encodeURIComponent(value) || "x");

function queryFor(route: RouteDefinition) {
  const keys = knownKeys(route.request.query);
  const key = keys.length > 0 ? fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 12 })) : fc.string({ maxLength: 12 });
  return fc.dictionary(key, hostileString, { maxKeys: 4 }).map((query) => new URLSearchParams(query).toString());
}

function bodyFor(route: RouteDefinition) {
  const keys = knownKeys(route.request.body);
  const value = fc.oneof(hostileString, fc.jsonValue({ maxDepth: 3 }));
  const shaped = keys.length > 0 ? fc.record(Object.fromEntries(keys.map((k) => [k, value])), { requiredKeys: [] }) : fc.constant({});
  return fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((json) => JSON.stringify(json)),
    shaped.map((json) => JSON.stringify(json)),
    // Not JSON at all, though it says so.
    fc.string({ maxLength: 200 }),
  );
}

function headersFor(route: RouteDefinition) {
  const signatureHeaders = fc.record(
    {
      "x-slack-signature": hostileString.map((s) => `v0=${s}`),
      "x-slack-request-timestamp": fc.oneof(fc.integer().map(String), hostileString),
      "stripe-signature": hostileString.map((s) => `t=${Math.floor(Date.now() / 1000)},v1=${s}`),
      "x-twilio-signature": hostileString,
    },
    { requiredKeys: [] },
  );
  const contentType = fc.constantFrom("application/json", "application/x-www-form-urlencoded", "text/plain", "application/json; charset=utf-8");
  return fc.tuple(signatureHeaders, contentType).map(([signatures, type]) => ({
    ...Object.fromEntries(Object.entries(signatures).map(([k, v]) => [k, v.replace(/[^\t\x20-\x7e]/g, "?")])),
    "content-type": type,
    ...(route.auth ? { authorization: auth } : {}),
  }));
}

/** Fills `:param` segments of a Koa path. */
function pathWith(route: RouteDefinition, params: string[]): string {
  let i = 0;
  return route.path.replace(/:[A-Za-z]+/g, () => params[i++] ?? "x");
}

async function send(route: RouteDefinition, input: { params: string[]; query: string; body: string; headers: Record<string, string> }) {
  const url = `${base}${pathWith(route, input.params)}${input.query ? `?${input.query}` : ""}`;
  const response = await fetch(url, {
    method: route.method.toUpperCase(),
    headers: input.headers,
    ...(route.method === "post" ? { body: input.body } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  // An event stream that opened stays open: its status is the answer.
  const streaming = route.path.endsWith("/stream") && response.status === 200;
  if (streaming) await response.body?.cancel();
  const text = streaming ? "" : await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text };
}

function assertClearAnswer(route: RouteDefinition, answer: { status: number; type: string; text: string }): void {
  const where = `${route.method.toUpperCase()} ${route.path} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, where).toBeLessThan(500);
  if (answer.status < 400) return;
  expect(answer.type, where).toContain("application/json");
  const { error } = errorBody.parse(JSON.parse(answer.text));
  // A validation failure names the field it is about.
  if (error.code === "validation_failed") expect(typeof error.details?.field, where).toBe("string");
}

describe("hostile input on every route", () => {
  it("never answers 5xx and always explains a 4xx, over at least 10,000 generated requests", async () => {
    expect(routes.some((r) => r.path.startsWith("/webhooks/"))).toBe(true);
    const perRoute = Math.ceil(TOTAL_CASES / routes.length);
    let sent = 0;
    for (const route of routes) {
      const params = (route.path.match(/:[A-Za-z]+/g) ?? []).map(() => pathParam);
      await fc.assert(
        fc.asyncProperty(fc.tuple(...params), queryFor(route), bodyFor(route), headersFor(route), async (values, query, body, headers) => {
          assertClearAnswer(route, await send(route, { params: values, query, body, headers }));
          sent += 1;
        }),
        { numRuns: perRoute, seed: 20261124, endOnFailure: true },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(TOTAL_CASES);
  }, 240_000);

  it("refuses an oversized body with 413 and a deeply nested one with a 4xx, on the API and the webhooks", async () => {
    const message = routes.find((r) => r.path === "/v1/conversations/:id/messages")!;
    const webhooks = routes.filter((r) => r.path.startsWith("/webhooks/"));
    const huge = JSON.stringify({ content: "x".repeat(2 * 1024 * 1024) });
    const nested = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    for (const route of [message, ...webhooks]) {
      const headers = { "content-type": "application/json", authorization: auth };
      const tooBig = await send(route, { params: ["00000000-0000-4000-8000-000000000000"], query: "", body: huge, headers });
      expect(tooBig.status, route.path).toBe(413);
      const deep = await send(route, { params: ["00000000-0000-4000-8000-000000000000"], query: "", body: nested, headers });
      expect(deep.status, route.path).toBeGreaterThanOrEqual(400);
      expect(deep.status, route.path).toBeLessThan(500);
    }
  });
});
