import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig, SECRET_VARIABLES } from "../lib/config.js";
import { MCP_SERVER_NAMES } from "../mcp-servers/host/server.js";
import { composeSchema, interpolate, mapStrings, mergeCompose, MissingVariableError, normalise, parseEnvFile, readYaml, stringsIn, variablesIn, type ComposeFile, type ComposeService, type Yaml } from "./testing/compose.js";
import { configVariables } from "./testing/config-variables.js";
import { execForm, finalStage, instructionsOf, readDockerfile } from "./testing/dockerfile.js";

const root = new URL("..", import.meta.url).pathname;
const FILES = ["docker-compose.yml", "docker-compose.prod.yml"] as const;
const raw = Object.fromEntries(FILES.map((file) => [file, readYaml(root + file)])) as Record<(typeof FILES)[number], Yaml>;
const example = parseEnvFile(readFileSync(`${root}.env.example`, "utf8"));
const OUR_PROCESSES = ["api", "worker", ...MCP_SERVER_NAMES.map((name) => `mcp-${name}`)];

/** Variables each file requires (`${VAR:?…}`): Compose refuses to start without them. */
function requiredIn(doc: Yaml): Set<string> {
  return new Set(stringsIn(doc).flatMap((text) => [...text.replaceAll("$$", "").matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((match) => match[1] ?? "")));
}

/** .env.example with the required secrets filled in, as a person following it would. */
function filledEnv(extra: Record<string, string> = {}): Map<string, string> {
  const env = new Map(example);
  for (const name of [...requiredIn(raw["docker-compose.yml"]), ...requiredIn(raw["docker-compose.prod.yml"])]) {
    if (!env.get(name)) env.set(name, randomBytes(24).toString("hex"));
  }
  for (const [name, value] of Object.entries(extra)) env.set(name, value);
  return env;
}

function resolve(doc: Yaml, env: Map<string, string>): Yaml {
  return mapStrings(doc, (text) => interpolate(text, env));
}

const env = filledEnv();
const base = normalise(resolve(raw["docker-compose.yml"], env));
const production = normalise(resolve(mergeCompose(raw["docker-compose.yml"], raw["docker-compose.prod.yml"]), env));
const service = (file: ComposeFile, name: string): ComposeService => {
  const found = file.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};

function imageHealthcheck(entry: ComposeService): string[] | undefined {
  if (!entry.build) return undefined;
  const healthcheck = instructionsOf(finalStage(readDockerfile(`${root}${entry.build.context}/${entry.build.dockerfile ?? "Dockerfile"}`)), "HEALTHCHECK")[0];
  return healthcheck ? execForm(healthcheck.value) : undefined;
}

describe("docker-compose.yml and docker-compose.prod.yml", () => {
  it("are valid against the Compose specification's JSON schema, alone and merged", () => {
    const validate = composeSchema();
    for (const [label, doc] of [
      ["docker-compose.yml", resolve(raw["docker-compose.yml"], env)],
      ["docker-compose.prod.yml", resolve(raw["docker-compose.prod.yml"], env)],
      ["both", resolve(mergeCompose(raw["docker-compose.yml"], raw["docker-compose.prod.yml"]), env)],
    ] as const) {
      expect(validate(doc) ? [] : validate.errors, label).toEqual([]);
    }
    // The validator is really checking: a misspelt key is refused.
    const broken = structuredClone(resolve(raw["docker-compose.yml"], env)) as { services: Record<string, Record<string, unknown>> };
    broken.services.api = { ...broken.services.api, healthcheck: { test: ["CMD", "true"], intervall: "5s" } };
    expect(validate(broken)).toBe(false);
  });

  it("document every ${VAR} they use in .env.example, and .env.example lists nothing they do not use", () => {
    const used = new Set(FILES.flatMap((file) => stringsIn(raw[file]).flatMap(variablesIn)));
    expect(used.size).toBeGreaterThan(20);
    expect([...used].filter((name) => !example.has(name))).toEqual([]);
    expect([...example.keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it("have no default for a secret: with .env.example as it is, Compose stops and names the missing one", () => {
    const required = requiredIn(raw["docker-compose.yml"]);
    expect([...required].sort()).toEqual(["APPROVAL_SIGNING_SECRET", "GRAFANA_ADMIN_PASSWORD", "MCP_AUTH_TOKEN", "POSTGRES_PASSWORD", "REDIS_PASSWORD"]);
    for (const name of required) expect(example.get(name), name).toBe("");
    expect(() => resolve(raw["docker-compose.yml"], example)).toThrow(MissingVariableError);
    // Nothing secret is committed: every secret the application reads is empty in the example.
    for (const name of SECRET_VARIABLES) if (example.has(name)) expect(example.get(name), name).toBe("");
  });

  it("build every image from a Dockerfile that exists, each MCP server from its own", () => {
    const built = Object.entries(base.services).filter(([, entry]) => entry.build);
    expect(built.map(([name]) => name).sort()).toEqual([...OUR_PROCESSES].sort());
    for (const [name, entry] of built) {
      const context = `${root}${entry.build?.context ?? ""}`;
      expect(statSync(context).isDirectory(), name).toBe(true);
      const dockerfile = `${context}/${entry.build?.dockerfile ?? "Dockerfile"}`;
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
      const command = execForm(instructionsOf(finalStage(readDockerfile(dockerfile)), "CMD")[0]?.value ?? "");
      if (name.startsWith("mcp-")) {
        expect(entry.build?.dockerfile, name).toBe(`mcp-servers/${name.slice(4)}/Dockerfile`);
        expect(command.slice(0, 3), name).toEqual(["mcp", name.slice(4), "--http"]);
      } else {
        expect(entry.command ?? command, name).toEqual([name]);
      }
    }
  });

  it("give every service a health check (its own or its image's), and start dependents only on healthy services", () => {
    for (const [name, entry] of Object.entries(base.services)) {
      const check = entry.healthcheck?.test ?? imageHealthcheck(entry);
      expect(check, `${name} has no health check`).toBeDefined();
      expect(entry.healthcheck?.disable, name).not.toBe(true);
      for (const [dependency, { condition }] of Object.entries(entry.depends_on ?? {})) {
        expect(base.services[dependency], `${name} depends on ${dependency}`).toBeDefined();
        expect(condition, `${name} → ${dependency}`).toBe("service_healthy");
      }
    }
    // The worker's image check probes the API port; the service checks its own metrics port.
    expect(JSON.stringify(service(base, "worker").healthcheck?.test)).toContain(`127.0.0.1:${service(base, "worker").environment?.WORKER_METRICS_PORT}/healthz`);
  });

  it("publish ports only for nginx, and Grafana on loopback; everything else stays internal", () => {
    const published = Object.entries(base.services).filter(([, entry]) => (entry.ports ?? []).length > 0);
    expect(published.map(([name]) => name).sort()).toEqual(["grafana", "nginx"]);
    expect(service(base, "nginx").ports).toEqual(["80:80", "443:443"]);
    for (const mapping of service(base, "grafana").ports ?? []) expect(mapping).toMatch(/^127\.0\.0\.1:\d+:3000$/);
  });

  it("pin every image to a version, never latest", () => {
    for (const [label, file] of [
      ["base", base],
      ["production", production],
    ] as const) {
      for (const [name, entry] of Object.entries(file.services)) {
        const image = entry.image ?? "";
        expect(image, `${label} ${name}`).not.toMatch(/:latest$/);
        // Ours are tagged EVENT_PLANNER_VERSION: locally built as event-planner*:dev, released below.
        if (entry.build) expect(image, name).toMatch(label === "base" ? /^event-planner(-mcp-[a-z]+)?:dev$/ : /\/event-planner(-mcp-[a-z]+)?:dev$/);
        else expect(image, `${label} ${name}`).toMatch(/(:v?\d+(\.\d+)+(-[a-z0-9.]+)?|@sha256:[0-9a-f]{64})$/);
      }
    }
    // A release image is the registry's, at the version set in .env.
    const release = filledEnv({ EVENT_PLANNER_REGISTRY: "ghcr.io/acme", EVENT_PLANNER_VERSION: "1.4.2" });
    const released = normalise(resolve(mergeCompose(raw["docker-compose.yml"], raw["docker-compose.prod.yml"]), release));
    for (const name of OUR_PROCESSES) expect(released.services[name]?.image, name).toMatch(/^ghcr\.io\/acme\/event-planner(-mcp-[a-z]+)?:1\.4\.2$/);
  });

  it("give each of our processes only variables the application reads, and a configuration it accepts", () => {
    const known = configVariables();
    expect(known.size).toBeGreaterThan(40);
    // Also with every integration configured, which is when their settings depend on each other.
    const integrations = filledEnv({
      ANTHROPIC_API_KEY: "sk-ant-test",
      SLACK_BOT_TOKEN: "xoxb-test",
      SLACK_SIGNING_SECRET: "slack-signing-secret",
      SLACK_APPROVERS: "U0123ABCD",
      STRIPE_SECRET_KEY: "sk_test_123",
      STRIPE_WEBHOOK_SECRET: "whsec_123",
      TWILIO_ACCOUNT_SID: `AC${"a".repeat(32)}`,
      TWILIO_AUTH_TOKEN: "twilio-token",
      TWILIO_FROM_NUMBER: "+15005550006",
      GOOGLE_CLIENT_ID: "google-client",
      GOOGLE_CLIENT_SECRET: "google-secret",
      GOOGLE_REFRESH_TOKEN: "google-refresh",
    });
    for (const setting of [env, integrations]) {
      const file = normalise(resolve(raw["docker-compose.yml"], setting));
      for (const name of OUR_PROCESSES) {
        const environment = Object.fromEntries(Object.entries(service(file, name).environment ?? {}).map(([key, value]) => [key, value === null ? undefined : String(value)]));
        expect(Object.keys(environment).filter((key) => !known.has(key)), name).toEqual([]);
        const config = loadConfig(environment);
        expect(config.database, name).toMatchObject({ kind: "postgres" });
        expect(new URL(environment.DATABASE_URL ?? "").hostname, name).toBe("postgres");
        if (environment.REDIS_URL) expect(new URL(environment.REDIS_URL).hostname, name).toBe("redis");
        expect(config.env, name).toBe("production");
      }
    }
    // The integration credentials land where they are used, and nowhere else.
    const file = normalise(resolve(raw["docker-compose.yml"], integrations));
    const holders = (variable: string) => Object.entries(file.services).filter(([, entry]) => entry.environment?.[variable] !== undefined && entry.environment[variable] !== "").map(([name]) => name).sort();
    expect(holders("ANTHROPIC_API_KEY")).toEqual(["worker"]);
    expect(holders("SLACK_BOT_TOKEN")).toEqual(["mcp-slack"]);
    expect(holders("STRIPE_SECRET_KEY")).toEqual(["mcp-stripe"]);
    expect(holders("GOOGLE_REFRESH_TOKEN")).toEqual(["mcp-calendar", "mcp-gdrive"]);
    expect(holders("STRIPE_WEBHOOK_SECRET")).toEqual(["api"]);
  });

  it("let the worker reach each MCP server at an address that server accepts, with the same token", () => {
    const worker = service(base, "worker");
    for (const name of MCP_SERVER_NAMES) {
      const url = new URL(String(worker.environment?.[`MCP_${name.toUpperCase()}_URL`]));
      const server = service(base, `mcp-${name}`);
      expect(url.hostname).toBe(`mcp-${name}`);
      expect(url.pathname).toBe("/mcp");
      const command = execForm(instructionsOf(finalStage(readDockerfile(`${root}mcp-servers/${name}/Dockerfile`)), "CMD")[0]?.value ?? "");
      expect(url.port).toBe(command[command.indexOf("--port") + 1]);
      expect(String(server.environment?.MCP_ALLOWED_HOSTS).split(",")).toContain(url.hostname);
      expect(server.environment?.MCP_AUTH_TOKEN).toBe(worker.environment?.MCP_AUTH_TOKEN);
      expect(server.networks).toEqual(expect.arrayContaining(worker.networks ?? []));
    }
  });

  it("keep Postgres and Redis on a network with no route out, Redis durable (AOF) and never evicting", () => {
    expect(base.networks?.data?.internal).toBe(true);
    for (const name of ["postgres", "redis"]) expect(service(base, name).networks, name).toEqual(["data"]);
    expect(service(base, "postgres").image).toMatch(/^postgres:17\./);
    const redisCommand = (service(base, "redis").command ?? []).join(" ");
    expect(redisCommand).toContain("--appendonly yes");
    expect(redisCommand).toContain("--maxmemory-policy noeviction");
    for (const name of ["postgres", "redis"]) expect(service(base, name).volumes?.[0], name).toMatch(/^[a-z_]+:\//);
    // nginx reaches only the API; the API is the only process nginx can reach.
    expect(service(base, "nginx").networks).toEqual(["edge"]);
    expect(Object.entries(base.services).filter(([, entry]) => entry.networks?.includes("edge")).map(([name]) => name).sort()).toEqual(["api", "nginx"]);
  });

  it("mount only files that exist in the repository", () => {
    for (const [name, entry] of Object.entries(base.services)) {
      for (const volume of entry.volumes ?? []) {
        if (!volume.startsWith("./")) continue;
        const source = volume.split(":")[0] ?? "";
        expect(existsSync(root + source), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it("production: restart always, memory limits everywhere, replicas of api and worker, and enough Postgres connections for them", () => {
    for (const [name, entry] of Object.entries(production.services)) {
      expect(entry.restart, name).toBe("always");
      expect(entry.deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
      expect(entry.container_name, name).toBeUndefined();
    }
    const apiReplicas = service(production, "api").deploy?.replicas ?? 1;
    const workerReplicas = service(production, "worker").deploy?.replicas ?? 1;
    expect(apiReplicas).toBeGreaterThanOrEqual(2);
    expect(workerReplicas).toBeGreaterThanOrEqual(2);
    const maxConnections = Number(/max_connections=(\d+)/.exec((service(production, "postgres").command ?? []).join(" "))?.[1]);
    const database = loadConfig({ DATABASE_URL: "postgres://app@postgres/app" }).database;
    const poolSize = database.kind === "postgres" ? database.poolSize : Number.NaN;
    expect(maxConnections).toBeGreaterThan((apiReplicas + workerReplicas + MCP_SERVER_NAMES.length) * poolSize);
    // The worker drains on SIGTERM for WORKER_SHUTDOWN_SECONDS (default 25): Compose must wait longer.
    expect(Number.parseInt(String(service(base, "worker").stop_grace_period), 10)).toBeGreaterThan(25);
  });
});
