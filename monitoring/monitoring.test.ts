import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { normalise, readYaml } from "../deploy/testing/compose.js";
import { createTestDatabase, type TestDatabase } from "../test/db.js";
import { EXPORTER_METRICS, metricNamesIn, PROMETHEUS_METRICS, scrapeOurProcesses, type ProcessMetrics } from "./testing/metrics.js";

const run = promisify(execFile);
const root = new URL("..", import.meta.url).pathname;
const here = (path: string) => new URL(path, import.meta.url).pathname;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: AlertRule[] }[];
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string; datasource?: { uid: string } }[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
}

const ruleFiles = readdirSync(here("rules")).filter((name) => name.endsWith(".yml"));
const rules = ruleFiles.flatMap((name) => (parse(readFileSync(here(`rules/${name}`), "utf8")) as RuleFile).groups.flatMap((group) => group.rules));
const alerts = rules.filter((rule): rule is AlertRule & { alert: string } => rule.alert !== undefined);
const dashboardFiles = readdirSync(here("grafana/dashboards")).filter((name) => name.endsWith(".json"));
const dashboards = dashboardFiles.map((name) => JSON.parse(readFileSync(here(`grafana/dashboards/${name}`), "utf8")) as Dashboard);
const dashboardExprs = dashboards.flatMap((dashboard) => dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ dashboard: dashboard.uid, panel: panel.title, expr: target.expr }))));

async function promtool(...args: string[]): Promise<string> {
  const { stdout, stderr } = await run("promtool", args, { cwd: here(".") });
  return stdout + stderr;
}

describe("Prometheus configuration and alert rules (promtool)", () => {
  it("promtool accepts prometheus.yml and the rule files it loads", async () => {
    const output = await promtool("check", "config", "prometheus.yml");
    expect(output).toContain("SUCCESS");
    expect(output).toMatch(/SUCCESS: \d+ rule files found/);
    expect(await promtool("check", "rules", ...ruleFiles.map((name) => `rules/${name}`))).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("every alert fires on synthetic series in the promtool unit tests, and they pass", async () => {
    const output = await promtool("test", "rules", "tests/alerts.test.yml");
    expect(output).toContain("SUCCESS");
    const tests = parse(readFileSync(here("tests/alerts.test.yml"), "utf8")) as RuleTests;
    expect(tests.rule_files.map((file) => file.replace("../", ""))).toEqual(ruleFiles.map((name) => `rules/${name}`));
    const firing = new Set(tests.tests.flatMap((test) => (test.alert_rule_test ?? []).filter((check) => check.exp_alerts.length > 0).map((check) => check.alertname)));
    expect(alerts.map((alert) => alert.alert).filter((name) => !firing.has(name))).toEqual([]);
  });

  it("covers what operations asked for, each with a severity and a summary", () => {
    const names = alerts.map((alert) => alert.alert);
    for (const required of ["QueueBacklog", "RunFailureRateHigh", "ApiLatencyP99High", "LlmCostBurnHigh", "ApprovalsWaitingTooLong", "PromptCacheHitRatioLow", "WebhookSignatureFailures"]) {
      expect(names).toContain(required);
    }
    expect(new Set(names).size).toBe(names.length);
    for (const alert of alerts) {
      expect(["critical", "warning"], alert.alert).toContain(alert.labels?.severity);
      expect(alert.annotations?.summary, alert.alert).toBeTruthy();
    }
    const webhook = alerts.find((alert) => alert.alert === "WebhookSignatureFailures");
    expect(webhook?.expr).toContain('webhook_deliveries_total{outcome="rejected_signature"}');
  });
});

describe("metric names in alerts and dashboards exist in our processes' /metrics", () => {
  let database: TestDatabase;
  let scraped: ProcessMetrics;
  let known: Set<string>;

  beforeAll(async () => {
    database = await createTestDatabase("postgres");
    scraped = await scrapeOurProcesses(database.db, REDIS_URL);
    known = new Set([...scraped.api, ...scraped.worker, ...scraped.mcp, ...EXPORTER_METRICS, ...PROMETHEUS_METRICS]);
  });
  afterAll(async () => {
    await database.drop();
  });

  it("reads metric names out of PromQL, leaving functions, keywords, labels and ranges out", () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le, route) (rate(http_request_duration_seconds_bucket{route!="/v1/x",le=~"1e3"}[5m]))) > 2 and on() absent(up{job="a"} == 1)')).toEqual(
      new Set(["http_request_duration_seconds_bucket", "up"]),
    );
    expect(metricNamesIn("sum(rate(llm_cost_usd_total[$__rate_interval])) * 3600 / ignoring(kind) max without (instance) (queue_jobs) offset 5m")).toEqual(new Set(["llm_cost_usd_total", "queue_jobs"]));
  });

  it("the scrapes are real: each process exports its own families", () => {
    expect(scraped.api).toContain("http_request_duration_seconds_bucket");
    expect(scraped.api).toContain("webhook_deliveries_total");
    expect(scraped.worker).toContain("queue_jobs");
    expect(scraped.worker).toContain("approvals_pending");
    expect(scraped.worker).toContain("agent_runs_finished_total");
    expect(scraped.mcp).toContain("mcp_tool_calls_total");
    expect(scraped.mcp).toContain("mcp_tool_call_duration_seconds_bucket");
    expect(scraped.api).not.toContain("mcp_tool_calls_total");
  });

  it("every metric an alert reads exists", () => {
    const missing = alerts.flatMap((alert) => [...metricNamesIn(alert.expr)].filter((name) => !known.has(name)).map((name) => `${alert.alert}: ${name}`));
    expect(missing).toEqual([]);
  });

  it("every metric a dashboard panel reads exists", () => {
    expect(dashboardExprs.length).toBeGreaterThan(20);
    const missing = dashboardExprs.flatMap(({ dashboard, panel, expr }) => [...metricNamesIn(expr)].filter((name) => !known.has(name)).map((name) => `${dashboard} / ${panel}: ${name}`));
    expect(missing).toEqual([]);
  });

  it("queue states the rules and dashboards select are states the queue reports", () => {
    const reported = new Set([...scraped.exposition.worker.matchAll(/^queue_jobs\{[^}]*state="([^"]+)"/gm)].map((match) => match[1]));
    expect(reported).toContain("waiting");
    const used = new Set([...alerts.map((alert) => alert.expr), ...dashboardExprs.map((entry) => entry.expr)].flatMap((expr) => [...expr.matchAll(/queue_jobs\{[^}]*state=~?"([^"]+)"/g)].flatMap((match) => (match[1] ?? "").split("|"))));
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((state) => !reported.has(state))).toEqual([]);
  });
});

describe("Prometheus scrapes what docker-compose.yml runs", () => {
  const compose = normalise(readYaml(`${root}docker-compose.yml`));
  const config = parse(readFileSync(here("prometheus.yml"), "utf8")) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs?: { targets: string[] }[]; dns_sd_configs?: { names: string[]; port: number }[] }[];
  };
  const job = (name: string) => config.scrape_configs.find((entry) => entry.job_name === name);
  const staticTargets = (name: string) => (job(name)?.static_configs ?? []).flatMap((entry) => entry.targets);

  it("finds every API and worker replica through DNS, on the ports the services listen on", () => {
    expect(job("api")?.dns_sd_configs?.[0]).toMatchObject({ names: ["api"], port: Number(compose.services.api?.environment?.PORT) });
    expect(job("worker")?.dns_sd_configs?.[0]).toMatchObject({ names: ["worker"], port: Number(compose.services.worker?.environment?.WORKER_METRICS_PORT) });
  });

  it("scrapes each MCP server and both exporters under their service names", () => {
    const mcpServices = Object.keys(compose.services).filter((name) => name.startsWith("mcp-"));
    expect(mcpServices).toHaveLength(6);
    expect(staticTargets("mcp").sort()).toEqual(mcpServices.map((name) => `${name}:3000`).sort());
    expect(staticTargets("postgres")).toEqual(["postgres-exporter:9187"]);
    expect(staticTargets("redis")).toEqual(["redis-exporter:9121"]);
    for (const target of [...staticTargets("postgres"), ...staticTargets("redis")]) expect(Object.keys(compose.services)).toContain(target.split(":")[0]);
  });

  it("loads the rule files from where Compose mounts them", () => {
    expect(config.rule_files).toEqual(["rules/*.yml"]);
    expect(compose.services.prometheus?.volumes).toEqual(expect.arrayContaining(["./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro", "./monitoring/rules:/etc/prometheus/rules:ro"]));
  });
});

describe("Grafana provisioning and dashboards", () => {
  const compose = normalise(readYaml(`${root}docker-compose.yml`));
  const datasources = parse(readFileSync(here("grafana/provisioning/datasources/prometheus.yml"), "utf8")) as { datasources: { uid: string; type: string; url: string; isDefault?: boolean }[] };
  const providers = parse(readFileSync(here("grafana/provisioning/dashboards/event-planner.yml"), "utf8")) as { providers: { options: { path: string } }[] };
  const datasource = datasources.datasources[0];

  it("provisions the stack's Prometheus and the dashboards from where Compose mounts them", () => {
    expect(datasource).toMatchObject({ type: "prometheus", url: "http://prometheus:9090", isDefault: true });
    expect(compose.services.prometheus).toBeDefined();
    const mounts = compose.services.grafana?.volumes ?? [];
    expect(mounts).toContain(`./monitoring/grafana/dashboards:${providers.providers[0]?.options.path}:ro`);
    expect(mounts).toContain("./monitoring/grafana/provisioning:/etc/grafana/provisioning:ro");
  });

  it("has the API, queue and workers, agent runs and LLM cost, and MCP tools dashboards, with unique uids", () => {
    expect(dashboards.map((dashboard) => dashboard.uid).sort()).toEqual(["event-planner-agent", "event-planner-api", "event-planner-mcp", "event-planner-queue"]);
  });

  it("every panel queries the provisioned datasource, has unique ids and does not overlap another", () => {
    for (const dashboard of dashboards) {
      const ids = dashboard.panels.map((panel) => panel.id);
      expect(new Set(ids).size, dashboard.uid).toBe(ids.length);
      const cells = new Set<string>();
      for (const panel of dashboard.panels) {
        const { x, y, w, h } = panel.gridPos;
        expect(x + w, `${dashboard.uid} / ${panel.title}`).toBeLessThanOrEqual(24);
        for (let row = y; row < y + h; row++) {
          for (let column = x; column < x + w; column++) {
            const cell = `${row}:${column}`;
            expect(cells.has(cell), `${dashboard.uid} / ${panel.title} overlaps at ${cell}`).toBe(false);
            cells.add(cell);
          }
        }
        if (panel.type === "row") continue;
        expect(panel.datasource?.uid, `${dashboard.uid} / ${panel.title}`).toBe(datasource?.uid);
        expect(panel.targets?.length, `${dashboard.uid} / ${panel.title}`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) expect(target.expr.trim(), `${dashboard.uid} / ${panel.title}`).not.toBe("");
      }
    }
  });
});
