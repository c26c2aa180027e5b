import request from "supertest";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { revokeApiKey } from "../domain/api-keys.js";
import { createConversation } from "../domain/conversations.js";
import { createRun } from "../domain/runs.js";
import { createHarness, errorOf, type Harness } from "./testing/harness.js";

let h: Harness;
let redisUp = true;

beforeAll(async () => {
  h = await createHarness({
    readiness: { redis: () => (redisUp ? Promise.resolve() : Promise.reject(new Error("connect ECONNREFUSED 127.0.0.1:6379"))) },
    options: { bodyLimitBytes: 4096 },
  });
});
afterAll(async () => {
  await h.close();
});

describe("probes", () => {
  it("answers /healthz without a key", async () => {
    const res = await request(h.app.callback()).get("/healthz").expect(200);
    expect(res.body).toEqual({ status: "ok" });
  });

  it("answers /readyz 200 when Postgres and Redis answer, and 503 naming the one that failed", async () => {
    const ready = await request(h.app.callback()).get("/readyz").expect(200);
    expect(ready.body).toEqual({ status: "ok", checks: { postgres: "ok", redis: "ok" } });
    redisUp = false;
    try {
      const down = await request(h.app.callback()).get("/readyz").expect(503);
      expect(down.body).toEqual({ status: "unavailable", checks: { postgres: "ok", redis: "failed" } });
      // The reason goes to the log, not to an unauthenticated caller.
      expect(JSON.stringify(down.body)).not.toContain("ECONNREFUSED");
      expect(h.logText()).toContain("ECONNREFUSED");
    } finally {
      redisUp = true;
    }
  });

  it("serves Prometheus text with the request duration by route template, never by raw path", async () => {
    const { auth } = await h.workspace();
    await request(h.app.callback()).get("/v1/runs/0190b3c4-9a4e-7d2c-8f00-000000000000").set("Authorization", auth).expect(404);
    // Observed when the response closes, which may be just after the client has it.
    await vi.waitFor(async () => {
      const res = await request(h.app.callback()).get("/metrics").expect(200);
      expect(res.headers["content-type"]).toContain("text/plain");
      expect(res.text).toContain('http_request_duration_seconds_count{method="GET",route="/v1/runs/:id",status="404"}');
      expect(res.text).not.toContain("0190b3c4-9a4e-7d2c-8f00-000000000000");
    });
  });
});

describe("request id, headers and logging", () => {
  it("echoes a sane X-Request-Id and replaces one that is not", async () => {
    const kept = await request(h.app.callback()).get("/healthz").set("X-Request-Id", "edge-42.abc").expect(200);
    expect(kept.headers["x-request-id"]).toBe("edge-42.abc");
    const replaced = await request(h.app.callback()).get("/healthz").set("X-Request-Id", "bad id\twith spaces").expect(200);
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    const made = await request(h.app.callback()).get("/healthz").expect(200);
    expect(made.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("sets security headers, forbids caching and sends no CORS headers", async () => {
    const res = await request(h.app.callback()).get("/healthz").set("Origin", "https://elsewhere.example").expect(200);
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["strict-transport-security"]).toBeDefined();
    expect(res.headers["content-security-policy"]).toBeDefined();
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("writes an access line with the route and status, and never the Authorization header", async () => {
    const { auth, token, keyId } = await h.workspace();
    await request(h.app.callback()).get("/v1/conversations").set("Authorization", auth).set("X-Request-Id", "log-check-1").expect(200);
    // The line is written when the response closes, which may be just after the client has it.
    await vi.waitFor(() => {
      const line = h
        .logText()
        .split("\n")
        .filter(Boolean)
        .map((text) => JSON.parse(text) as Record<string, unknown>)
        .find((entry) => entry.reqId === "log-check-1" && entry.msg === "request");
      expect(line).toMatchObject({ method: "GET", path: "/v1/conversations", route: "/v1/conversations", status: 200, keyId });
    });
    expect(h.logText()).not.toContain(token);
  });
});

describe("authentication", () => {
  it("refuses a /v1 request without a key, with a message that says what to send", async () => {
    const res = await request(h.app.callback()).get("/v1/conversations").expect(401);
    expect(errorOf(res)).toMatchObject({ code: "unauthorized", message: expect.stringContaining("Authorization: Bearer") as string });
    expect(res.headers["www-authenticate"]).toContain("Bearer");
  });

  it("refuses a malformed header, an unknown key and a revoked key alike", async () => {
    const { ctx, keyId, auth } = await h.workspace();
    const malformed = await request(h.app.callback()).get("/v1/events").set("Authorization", "Basic dXNlcjpwYXNz").expect(401);
    expect(errorOf(malformed).message).toContain("malformed");
    const unknown = await request(h.app.callback()).get("/v1/events").set("Authorization", `Bearer epk_0123456789abcdef_${"x".repeat(43)}`).expect(401);
    expect(errorOf(unknown)).toEqual({ code: "unauthorized", message: "invalid or revoked API key" });
    await request(h.app.callback()).get("/v1/events").set("Authorization", auth).expect(200);
    await revokeApiKey(ctx, keyId);
    await request(h.app.callback()).get("/v1/events").set("Authorization", auth).expect(401);
  });
});

describe("the error mapper", () => {
  it("answers an unknown route with the contract's error shape", async () => {
    const res = await request(h.app.callback()).get("/v2/nothing").expect(404);
    expect(res.body).toEqual({ error: { code: "not_found", message: "no route GET /v2/nothing" } });
  });

  it("names the allowed methods when the path exists", async () => {
    const { auth } = await h.workspace();
    const res = await request(h.app.callback()).delete("/v1/conversations").set("Authorization", auth).expect(404);
    expect(errorOf(res).details?.allowed).toEqual(expect.arrayContaining(["GET", "POST"]));
    expect(res.headers.allow).toContain("POST");
  });

  it("answers 413 for a body over the limit", async () => {
    const { auth } = await h.workspace();
    const res = await request(h.app.callback())
      .post("/v1/conversations")
      .set("Authorization", auth)
      .send({ title: "x".repeat(8000) })
      .expect(413);
    expect(errorOf(res).code).toBe("payload_too_large");
  });

  it("answers 400 for a body that is not JSON, naming what is wrong", async () => {
    const { auth } = await h.workspace();
    const broken = await request(h.app.callback()).post("/v1/conversations").set("Authorization", auth).set("Content-Type", "application/json").send('{"title": ').expect(400);
    expect(errorOf(broken)).toMatchObject({ code: "validation_failed", details: { field: "body" } });
    const text = await request(h.app.callback()).post("/v1/conversations").set("Authorization", auth).set("Content-Type", "text/plain").send("plan a party").expect(400);
    expect(errorOf(text)).toMatchObject({ code: "validation_failed", details: { field: "Content-Type" } });
  });

  it("turns an unexpected error into 500 internal without its message, and logs it", async () => {
    const broken = await createHarness({ progress: { subscribe: () => Promise.reject(new Error("redis said: secret internals")) } });
    try {
      const { ctx, auth } = await broken.workspace();
      const conversation = await createConversation(ctx);
      const { run } = await createRun(ctx, { conversationId: conversation.id });
      const res = await request(broken.app.callback()).get(`/v1/runs/${run.id}/stream`).set("Authorization", auth).expect(500);
      expect(errorOf(res).code).toBe("internal");
      expect(JSON.stringify(res.body)).not.toContain("secret internals");
      expect(broken.logText()).toContain("secret internals");
    } finally {
      await broken.close();
    }
  });
});
