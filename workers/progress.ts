/**
 * Live run progress over Redis pub/sub: the worker publishes each RunEvent on the run's channel,
 * the API's event streams subscribe. Pub/sub is fire-and-forget on purpose: the persisted steps are
 * the record, and a client that missed events reads them back by seq.
 */
import { Redis } from "ioredis";
import type { RunEvent } from "../agent/events.js";
import type { RunProgressSource } from "../api/deps.js";
import type { Logger } from "../lib/logger.js";

const CHANNEL_PREFIX = "event-planner:run-events:";

export function runChannel(runId: string): string {
  return `${CHANNEL_PREFIX}${runId}`;
}

export class RedisRunProgressPublisher {
  private readonly redis: Redis;

  constructor(url: string, private readonly logger: Logger) {
    this.redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.redis.on("error", (error: Error) => this.logger.warn({ err: error }, "progress publisher: Redis error"));
  }

  publish(event: RunEvent): void {
    this.redis.publish(runChannel(event.runId), JSON.stringify(event)).catch((error: unknown) => {
      this.logger.warn({ err: error, runId: event.runId }, "could not publish run progress");
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One subscriber connection per process, shared by every open stream. */
export class RedisRunProgressSource implements RunProgressSource {
  private readonly redis: Redis;
  private readonly listeners = new Map<string, Set<(event: RunEvent) => void>>();
  /** The SUBSCRIBE in flight per channel, so a second stream on the same run also waits for it. */
  private readonly ready = new Map<string, Promise<unknown>>();

  constructor(url: string, private readonly logger: Logger) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 2 });
    this.redis.on("error", (error: Error) => this.logger.warn({ err: error }, "progress subscriber: Redis error"));
    this.redis.on("message", (channel: string, message: string) => this.deliver(channel, message));
  }

  private deliver(channel: string, message: string): void {
    const listeners = this.listeners.get(channel);
    if (!listeners) return;
    let event: RunEvent;
    try {
      // Our own workers publish these; a malformed one is dropped, not trusted.
      event = JSON.parse(message) as RunEvent;
    } catch {
      return;
    }
    for (const listener of listeners) listener(event);
  }

  async subscribe(runId: string, listener: (event: RunEvent) => void): Promise<() => Promise<void>> {
    const channel = runChannel(runId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.ready.set(channel, this.redis.subscribe(channel));
    }
    set.add(listener);
    await this.ready.get(channel);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        this.ready.delete(channel);
        await this.redis.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
