import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { MCP_SERVER_NAMES } from "../mcp-servers/host/server.js";

const root = new URL("..", import.meta.url).pathname;

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string | boolean>;
}
interface Job {
  services?: Record<string, { image: string; ports?: string[] }>;
  steps: Step[];
  strategy?: { matrix: { include: { image: string; dockerfile: string }[] } };
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflow(name: string): Workflow {
  return parse(readFileSync(`${root}.github/workflows/${name}`, "utf8")) as Workflow;
}

const dockerfiles = ["Dockerfile", ...readdirSync(`${root}mcp-servers`).filter((name) => existsSync(`${root}mcp-servers/${name}/Dockerfile`)).map((name) => `mcp-servers/${name}/Dockerfile`)];

describe("GitHub workflows", () => {
  it("ci.yml runs the whole test suite on every push, against Postgres and Redis, with nginx and promtool", () => {
    const ci = workflow("ci.yml");
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(["push", "pull_request"]));
    expect(ci.on.push ?? null).toBeNull();
    const test = ci.jobs.test;
    expect(test?.services?.postgres?.ports).toEqual(["5432:5432"]);
    expect(test?.services?.redis?.ports).toEqual(["6379:6379"]);
    const commands = (test?.steps ?? []).map((step) => step.run ?? "").join("\n");
    expect(commands).toMatch(/npm ci\b/);
    expect(commands).toMatch(/^npm test$/m);
    expect(commands).toMatch(/apt-get install .*\bnginx\b.*\bprometheus\b/);
  });

  it("images.yml builds and pushes every Dockerfile in the repository on version tags, under the names the deployments pull", () => {
    const images = workflow("images.yml");
    expect(Object.keys(images.on)).toEqual(["push"]);
    expect(images.on.push).toEqual({ tags: ["v*.*.*"] });
    expect(images.permissions?.packages).toBe("write");
    const matrix = images.jobs.image?.strategy?.matrix.include ?? [];
    expect(matrix.map((entry) => entry.dockerfile).sort()).toEqual(dockerfiles.sort());
    expect(matrix.map((entry) => entry.image).sort()).toEqual(["event-planner", ...MCP_SERVER_NAMES.map((name) => `event-planner-mcp-${name}`)].sort());
    for (const entry of matrix) expect(entry.dockerfile === "Dockerfile" ? entry.image : `event-planner-mcp-${entry.dockerfile.split("/")[1]}`).toBe(entry.image);
    const build = images.jobs.image?.steps.find((step) => step.uses?.startsWith("docker/build-push-action"));
    expect(build?.with).toMatchObject({ context: ".", file: "${{ matrix.dockerfile }}", push: true });
    const meta = images.jobs.image?.steps.find((step) => step.uses?.startsWith("docker/metadata-action"));
    expect(meta?.with?.images).toBe("ghcr.io/${{ github.repository_owner }}/${{ matrix.image }}");
    // docker-compose.prod.yml and the Kubernetes overlay pull exactly these names.
    const prod = readFileSync(`${root}docker-compose.prod.yml`, "utf8");
    const overlay = readFileSync(`${root}deploy/k8s/overlays/production/kustomization.yaml`, "utf8");
    for (const entry of matrix) {
      expect(prod).toContain(`/${entry.image}:`);
      expect(overlay).toContain(`/${entry.image}\n`);
    }
  });

  it("pin every action to a major version", () => {
    for (const name of ["ci.yml", "images.yml"]) {
      for (const job of Object.values(workflow(name).jobs)) {
        for (const step of job.steps) if (step.uses) expect(step.uses, name).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
      }
    }
  });
});
