import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../agent/events.js";
import { createHarness, type Harness } from "../api/testing/harness.js";
import { normalise, readYaml } from "../deploy/testing/compose.js";
import { createConversation } from "../domain/conversations.js";
import { appendRunStep, createRun, transitionRun } from "../domain/runs.js";
import { createLogger } from "../lib/logger.js";
import { RedisRunProgressPublisher, RedisRunProgressSource } from "../workers/progress.js";
import { httpGet, httpsClient, type EventStream } from "./testing/https.js";
import { placeholders, preparePrefix, startNginx, TEMPLATE_PATH, testConfig, type NginxPrefix, type RunningNginx } from "./testing/nginx.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const logger = createLogger({ level: "silent" });

let h: Harness;
let apiBase: string;
let prefix: NginxPrefix;
let nginx: RunningNginx;
let client: ReturnType<typeof httpsClient>;
let progress: RedisRunProgressSource;
let publisher: RedisRunProgressPublisher;
const streams: EventStream[] = [];

beforeAll(async () => {
  // Live progress the production way: workers publish on Redis, the API's streams subscribe.
  progress = new RedisRunProgressSource(REDIS_URL, logger);
  publisher = new RedisRunProgressPublisher(REDIS_URL, logger);
  h = await createHarness({ progress });
  apiBase = await h.listen();
  prefix = await preparePrefix(new URL(apiBase).host);
  nginx = await startNginx(prefix);
  client = httpsClient(prefix.httpsPort, readFileSync(prefix.certFile, "utf8"));
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await nginx?.stop();
  prefix?.remove();
  await h?.close();
  await Promise.all([progress?.close(), publisher?.close()]);
});

function json(body: string): unknown {
  return JSON.parse(body) as unknown;
}

describe("the nginx config", () => {
  it("passes nginx -t when rendered for 127.0.0.1 upstreams", async () => {
    const { code, output } = await testConfig(prefix);
    expect(output).toContain("test is successful");
    expect(code).toBe(0);
    expect(readFileSync(prefix.conf, "utf8")).not.toContain("${");
  });

  it("is rendered in Compose from exactly the variables docker-compose.yml gives the nginx service", () => {
    const nginxService = normalise(readYaml(new URL("../docker-compose.yml", import.meta.url).pathname)).services.nginx;
    const given = Object.keys(nginxService?.environment ?? {}).filter((name) => !name.startsWith("NGINX_ENVSUBST_"));
    expect([...placeholders(readFileSync(TEMPLATE_PATH, "utf8"))].sort()).toEqual(given.sort());
    // The image renders /etc/nginx/templates/*.template into NGINX_ENVSUBST_OUTPUT_DIR.
    expect(nginxService?.environment?.NGINX_ENVSUBST_OUTPUT_DIR).toBe("/etc/nginx");
    expect(nginxService?.volumes).toEqual(expect.arrayContaining(["./nginx/nginx.conf.template:/etc/nginx/templates/nginx.conf.template:ro", "./nginx/security-headers.conf:/etc/nginx/security-headers.conf:ro"]));
  });

  it("keeps run streams unbuffered with a long read timeout", () => {
    const template = readFileSync(TEMPLATE_PATH, "utf8");
    const location = /location ~ \^\/v1\/runs\/\[\^\/\]\+\/stream\$ \{([^}]*)\}/.exec(template)?.[1] ?? "";
    expect(location).toContain("proxy_buffering off;");
    expect(location).toContain("gzip off;");
    expect(location).toMatch(/proxy_read_timeout (1h|[0-9]{4,}s?);/);
  });
});

describe("nginx in front of a running API", () => {
  it("proxies over TLS with keep-alive upstreams, security headers and a request id", async () => {
    const health = await client.request("/healthz");
    expect(health.status).toBe(200);
    expect(json(health.body)).toEqual({ status: "ok" });
    expect(health.headers["strict-transport-security"]).toBe("max-age=31536000; includeSubDomains");
    expect(health.headers["x-content-type-options"]).toBe("nosniff");
    // nginx's copy only: the API's own is hidden, so browsers never see two conflicting values.
    expect(health.headers["x-frame-options"]).toBe("DENY");
    expect(health.headers.server).toBe("nginx");
    // nginx made the id (32 hex characters) and the API echoed it back.
    expect(health.headers["x-request-id"]).toMatch(/^[0-9a-f]{32}$/);
    const kept = await client.request("/healthz", { headers: { "x-request-id": "client-chosen-id" } });
    expect(kept.headers["x-request-id"]).toBe("client-chosen-id");

    const { auth } = await h.workspace();
    const created = await client.request("/v1/conversations", { method: "POST", headers: { authorization: auth } });
    expect(created.status).toBe(201);
    expect(json(created.body)).toMatchObject({ id: expect.any(String) as string });
  });

  it("redirects plain HTTP to HTTPS, except its own health check", async () => {
    const redirect = await httpGet(prefix.httpPort, "/v1/events?limit=5");
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe("https://127.0.0.1/v1/events?limit=5");
    expect((await httpGet(prefix.httpPort, "/nginx-health")).status).toBe(200);
  });

  it("refuses a body over 1 MiB with 413 in the API's error shape, before it reaches the API, and passes a smaller one on", async () => {
    const { auth } = await h.workspace();
    const conversation = json((await client.request("/v1/conversations", { method: "POST", headers: { authorization: auth } })).body) as { id: string };
    const send = (bytes: number) =>
      client.request(`/v1/conversations/${conversation.id}/messages`, {
        method: "POST",
        headers: { authorization: auth, "content-type": "application/json" },
        body: JSON.stringify({ content: "x".repeat(bytes) }),
      });
    const tooLarge = await send(2 * 1024 * 1024);
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers["content-type"]).toContain("application/json");
    expect(json(tooLarge.body)).toMatchObject({ error: { code: "payload_too_large" } });
    expect(tooLarge.headers["x-content-type-options"]).toBe("nosniff");
    // Under the limit it reaches the API, whose own rule (a message is at most 100,000 characters) answers.
    const underLimit = await send(900 * 1024);
    expect(underLimit.status).toBe(400);
    expect(json(underLimit.body)).toMatchObject({ error: { code: "validation_failed" } });
    expect(underLimit.headers["x-request-id"]).toBeDefined();
    expect(h.logText()).not.toContain('"status":413');
  });

  it("does not serve /metrics or /readyz to the outside, however the path is spelled", async () => {
    const direct = await fetch(`${apiBase}/metrics`);
    expect(direct.status).toBe(200);
    expect(await direct.text()).toContain("# HELP");
    for (const path of ["/metrics", "/METRICS", "/metrics/", "//metrics", "/%6detrics", "/metrics?format=text", "/readyz", "/ReadyZ"]) {
      const answer = await client.request(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain("# HELP");
      expect(answer.body, path).not.toContain('"checks"');
    }
  });

  it("streams run progress through nginx event by event, while the worker side publishes it", async () => {
    const { auth, ctx } = await h.workspace();
    const conversation = await createConversation(ctx);
    const { run } = await createRun(ctx, { conversationId: conversation.id });
    await transitionRun(ctx, run.id, "running");
    await appendRunStep(ctx, run.id, { seq: 0, kind: "tool_call", payload: { tool: "search_venues", args: {} } });

    const stream = await client.stream(`/v1/runs/${run.id}/stream`, { authorization: auth });
    streams.push(stream);
    expect(stream.status).toBe(200);
    expect(stream.headers["content-type"]).toContain("text/event-stream");
    expect(stream.headers["content-encoding"]).toBeUndefined();
    expect(await stream.next()).toMatchObject({ id: "0", event: "step", data: { runId: run.id, seq: 0 } });

    const live: RunEvent[] = [
      { type: "tool_result", runId: run.id, seq: 1, toolUseId: "t0", tool: "search_venues", isError: false, content: "3 venues in Lisbon" },
      { type: "text_delta", runId: run.id, delta: "Booking " },
      { type: "tool_call", runId: run.id, seq: 2, toolUseId: "t1", tool: "hold_venue", args: { venue: "v1" } },
      { type: "finished", runId: run.id, status: "succeeded", text: "The plan" },
    ];
    // Each event is published only after the previous one came out of nginx: a buffering proxy
    // would hold the first one back and this would never get past it.
    for (const event of live) {
      publisher.publish(event);
      expect(await stream.next()).toEqual({ ...("seq" in event ? { id: String(event.seq) } : {}), event: event.type, data: event });
    }
    expect(await stream.next()).toBeUndefined();
  });

  // Last: the burst spends this address's allowance for a couple of seconds.
  it("limits a burst from one address with 429 and Retry-After, and keeps webhooks on their own allowance", async () => {
    const answers = await Promise.all(Array.from({ length: 120 }, () => client.request("/healthz")));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
    const limited = answers.find((answer) => answer.status === 429);
    expect(limited?.headers["retry-after"]).toBe("1");
    expect(json(limited?.body ?? "{}")).toMatchObject({ error: { code: "rate_limited" } });
    expect(limited?.headers["strict-transport-security"]).toBeDefined();

    // The API allowance is spent; a webhook still reaches the API (404: no Slack secret in this API).
    const webhook = await client.request("/webhooks/slack/interactions", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "payload=%7B%7D" });
    expect(webhook.status).toBe(404);
    expect(json(webhook.body)).toMatchObject({ error: { code: "not_found" } });
    expect(nginx.stderr()).not.toMatch(/\[(emerg|alert|crit)\]/);
  });
});
