import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import request from "supertest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "./app.js";
import { createRedisRateLimiter } from "./rate-limiter.js";
import { createHarness, errorOf, type Harness } from "./testing/harness.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `test:api-rate:${randomBytes(6).toString("hex")}`;
let redis: Redis;
let h: Harness;

beforeAll(async () => {
  // Connected before the first request: with the offline queue off, a not-yet-ready client would fall back to memory.
  redis = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await redis.connect();
  h = await createHarness({ rateLimiter: createRedisRateLimiter({ redis, points: 2, durationSeconds: 60, keyPrefix: prefix }) });
});
afterAll(async () => {
  await h.close();
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe("rate limit per API key (real Redis)", () => {
  it("answers 429 with Retry-After once a key's allowance is spent, and counts each key apart", async () => {
    const first = await h.workspace();
    const second = await h.workspace();
    const api = () => request(h.app.callback());
    const ok = await api().get("/v1/events").set("Authorization", first.auth).expect(200);
    expect(ok.headers["ratelimit-limit"]).toBe("2");
    expect(ok.headers["ratelimit-remaining"]).toBe("1");
    await api().get("/v1/events").set("Authorization", first.auth).expect(200);
    const limited = await api().get("/v1/events").set("Authorization", first.auth).expect(429);
    expect(errorOf(limited)).toMatchObject({ code: "rate_limited", details: { limit: 2 } });
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // The count lives in Redis, where every API process sees it.
    expect(await redis.get(`${prefix}:key:${first.keyId}`)).toBe("3");
    const elsewhere = createApi({ ...h.deps, rateLimiter: createRedisRateLimiter({ redis, points: 2, durationSeconds: 60, keyPrefix: prefix }) });
    await request(elsewhere.callback()).get("/v1/events").set("Authorization", first.auth).expect(429);

    await api().get("/v1/events").set("Authorization", second.auth).expect(200);
    // Probes are never limited.
    await api().get("/healthz").expect(200);
  });

  it("does not count requests that fail authentication against a key", async () => {
    const { auth, keyId } = await h.workspace();
    await request(h.app.callback()).get("/v1/events").set("Authorization", "Bearer nope").expect(401);
    await request(h.app.callback()).get("/v1/events").set("Authorization", auth).expect(200);
    expect(await redis.get(`${prefix}:key:${keyId}`)).toBe("1");
  });
});

describe("createRedisRateLimiter", () => {
  it("keeps limiting in process memory while Redis is unreachable", async () => {
    // Never connected: the state a process is in while Redis is down.
    const offline = new Redis(REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    const limiter = createRedisRateLimiter({ redis: offline, points: 1, durationSeconds: 60, keyPrefix: prefix });
    expect(await limiter.consume("k")).toMatchObject({ allowed: true, remaining: 0 });
    expect(await limiter.consume("k")).toMatchObject({ allowed: false, limit: 1 });
    offline.disconnect();
  });

  it("refuses nonsense settings when built", () => {
    expect(() => createRedisRateLimiter({ redis, points: 0 })).toThrow(/points must be a positive integer/);
    expect(() => createRedisRateLimiter({ redis, durationSeconds: 1.5 })).toThrow(/durationSeconds/);
  });
});
