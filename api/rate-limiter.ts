import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { RateLimitDecision, RateLimiter } from "./deps.js";

export interface RedisRateLimiterOptions {
  /**
   * The Redis connection. Create it with `enableOfflineQueue: false`: with ioredis' default offline
   * queue a request would wait for Redis to come back instead of falling back to the per-process limit.
   */
  redis: Redis;
  /** Requests per key per window. Default 120. */
  points?: number;
  /** Window length in seconds. Default 60. */
  durationSeconds?: number;
  /** Redis key prefix; tests pass a unique one so runs never share counters. */
  keyPrefix?: string;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer (got ${value})`);
  return value;
}

/**
 * A fixed-window counter per key in Redis, shared by every API process. While Redis is unreachable
 * each process falls back to the same limit in its own memory (rate-limiter-flexible's insurance
 * limiter), so an outage neither opens the gate completely nor fails every request.
 */
export function createRedisRateLimiter(options: RedisRateLimiterOptions): RateLimiter {
  const points = positiveInteger("points", options.points ?? 120);
  const duration = positiveInteger("durationSeconds", options.durationSeconds ?? 60);
  const limiter = new RateLimiterRedis({
    storeClient: options.redis,
    points,
    duration,
    keyPrefix: options.keyPrefix ?? "event-planner:api-rate",
    rejectIfRedisNotReady: true,
    insuranceLimiter: new RateLimiterMemory({ points, duration }),
  });
  return {
    async consume(key: string): Promise<RateLimitDecision> {
      try {
        const res = await limiter.consume(key);
        return { allowed: true, limit: points, remaining: res.remainingPoints, resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
      } catch (rejection) {
        // The library rejects with a RateLimiterRes when the allowance is spent, and with an Error otherwise.
        if (rejection instanceof RateLimiterRes) return { allowed: false, limit: points, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        throw rejection;
      }
    },
  };
}
