import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../cli/main.js";
import { SECRET_VARIABLES } from "../lib/config.js";
import { MCP_SERVER_NAMES } from "../mcp-servers/host/server.js";
import { execForm, finalStage, instructionsOf, readDockerfile, type Dockerfile, type Stage } from "./testing/dockerfile.js";

const root = new URL("..", import.meta.url).pathname;
const ROOT_DOCKERFILE = "Dockerfile";
const mcpDockerfiles = readdirSync(`${root}mcp-servers`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(`${root}mcp-servers/${entry.name}/Dockerfile`))
  .map((entry) => `mcp-servers/${entry.name}/Dockerfile`);
const all = [ROOT_DOCKERFILE, ...mcpDockerfiles].map((path) => [path, readDockerfile(root + path)] as const);

function stage(file: Dockerfile, name: string): Stage {
  const found = file.stages.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
}

function runs(file: Dockerfile): string[] {
  return file.stages.flatMap((candidate) => instructionsOf(candidate, "RUN").map((instruction) => instruction.value));
}

/** What the HEALTHCHECK puts between `127.0.0.1:` and `/healthz`: a port, or the expression making one. */
function healthcheckPort(file: Dockerfile): string | undefined {
  const check = execForm(instructionsOf(finalStage(file), "HEALTHCHECK")[0]?.value ?? "").join(" ");
  return /127\.0\.0\.1:(.*?)\/healthz/.exec(check)?.[1];
}

/** Turn a .dockerignore pattern (Go filepath.Match plus `**`) into a test on a context-relative path. */
function ignores(pattern: string): (path: string) => boolean {
  let body = "";
  const text = pattern.replace(/^\//, "");
  for (let i = 0; i < text.length; i++) {
    const char = text[i] ?? "";
    if (text.startsWith("**/", i)) {
      body += "(?:.*/)?";
      i += 2;
    } else if (text.startsWith("**", i)) {
      body += ".*";
      i += 1;
    } else if (char === "*") body += "[^/]*";
    else if (char === "?") body += "[^/]";
    else body += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const regex = new RegExp(`^${body}(?:/.*)?$`);
  return (path) => regex.test(path);
}

function ignored(path: string): boolean {
  let result = false;
  for (const line of readFileSync(`${root}.dockerignore`, "utf8").split("\n").map((text) => text.trim())) {
    if (line === "" || line.startsWith("#")) continue;
    if (line.startsWith("!")) {
      if (ignores(line.slice(1))(path)) result = false;
    } else if (ignores(line)(path)) result = true;
  }
  return result;
}

describe("Dockerfiles", () => {
  it("exist for the API/worker image and for each of the six MCP servers", () => {
    expect(mcpDockerfiles.sort()).toEqual(MCP_SERVER_NAMES.map((name) => `mcp-servers/${name}/Dockerfile`).sort());
  });

  it("pin every base image to a version, never latest", () => {
    for (const [path, file] of all) {
      const stageNames = new Set(file.stages.map((candidate) => candidate.name));
      for (const { from } of file.stages) {
        if (stageNames.has(from)) continue;
        expect(from, path).not.toMatch(/:latest$|^[^:@]+$/);
        expect(from, path).toMatch(/:\d+\.\d+\.\d+-[a-z0-9.]+$|@sha256:[0-9a-f]{64}$/);
      }
    }
  });

  it("install exactly the lockfile, build, then drop dev dependencies before the final stage", () => {
    for (const [path, file] of all) {
      const commands = runs(file).join("\n");
      expect(commands, path).toMatch(/\bnpm ci\b/);
      expect(commands, path).toMatch(/npm run build/);
      expect(commands, path).toMatch(/npm prune --omit=dev/);
      expect(commands, path).not.toMatch(/npm install\b/);
      const last = finalStage(file);
      expect(file.stages.length, path).toBeGreaterThanOrEqual(3);
      // The final stage starts from the plain base image and only copies what the build produced.
      expect(last.from, path).toBe(file.globalArgs.get("NODE_IMAGE"));
      expect(instructionsOf(last, "RUN").map((instruction) => instruction.value).join("\n"), path).not.toMatch(/\bnpm\b/);
      for (const copy of instructionsOf(last, "COPY")) {
        const from = /--from=(\S+)/.exec(copy.value)?.[1];
        expect(from, `${path}: ${copy.value}`).toBeDefined();
        expect(file.stages.map((candidate) => candidate.name), path).toContain(from);
      }
      expect(instructionsOf(last, "COPY").map((copy) => copy.value.split(/\s+/).at(-2))).toEqual(expect.arrayContaining(["/app/node_modules", "/app/dist", "/app/bin"]));
    }
  });

  it("run as a non-root user under tini, with a HEALTHCHECK on /healthz", () => {
    for (const [path, file] of all) {
      const last = finalStage(file);
      const user = instructionsOf(last, "USER").at(-1)?.value;
      expect(user, path).toBeDefined();
      expect(user, path).not.toMatch(/^(root|0)(:|$)/);
      expect(execForm(instructionsOf(last, "ENTRYPOINT")[0]?.value ?? "").slice(0, 4), path).toEqual(["/sbin/tini", "--", "node", "bin/event-planner.js"]);
      expect(instructionsOf(last, "RUN").map((instruction) => instruction.value).join(" "), path).toMatch(/apk add --no-cache tini/);
      const healthcheck = instructionsOf(last, "HEALTHCHECK")[0]?.value ?? "";
      expect(healthcheck, path).toMatch(/--interval=\d+s .*--timeout=\d+s .*--start-period=\d+s/);
      expect(execForm(healthcheck).join(" "), path).toContain("/healthz");
      // Secrets come from the environment at run time, never from the image.
      const env = instructionsOf(last, "ENV").map((instruction) => instruction.value).join(" ");
      for (const secret of SECRET_VARIABLES) expect(env, path).not.toContain(secret);
    }
  });

  it("API/worker image: `api` by default, and the ports of the API and the worker's metrics", () => {
    const file = readDockerfile(root + ROOT_DOCKERFILE);
    expect(execForm(instructionsOf(finalStage(file), "CMD")[0]?.value ?? "")).toEqual(["api"]);
    expect(instructionsOf(finalStage(file), "EXPOSE")[0]?.value.split(/\s+/)).toEqual(["8000", "9464"]);
    expect(healthcheckPort(file)).toContain("process.env.PORT || 8000");
  });

  it("MCP images: the root Dockerfile's build stages verbatim, and their own server over HTTP on the port they expose and probe", () => {
    const rootFile = readDockerfile(root + ROOT_DOCKERFILE);
    for (const name of MCP_SERVER_NAMES) {
      const file = readDockerfile(`${root}mcp-servers/${name}/Dockerfile`);
      expect(file.globalArgs, name).toEqual(rootFile.globalArgs);
      for (const shared of ["deps", "build"]) expect(stage(file, shared), `${name}: ${shared}`).toEqual(stage(rootFile, shared));
      const differs = new Set(["CMD", "EXPOSE", "HEALTHCHECK"]);
      const same = (candidate: Stage) => candidate.instructions.filter((instruction) => !differs.has(instruction.keyword));
      expect(same(finalStage(file)), name).toEqual(same(finalStage(rootFile)));
      const command = execForm(instructionsOf(finalStage(file), "CMD")[0]?.value ?? "");
      const port = command[command.indexOf("--port") + 1];
      expect(command, name).toEqual(["mcp", name, "--http", "--port", port, "--bind", "0.0.0.0"]);
      expect(instructionsOf(finalStage(file), "EXPOSE")[0]?.value, name).toBe(port);
      expect(healthcheckPort(file), name).toBe(port);
    }
  });

  it("use commands and flags the CLI really has", () => {
    const program = buildProgram();
    const command = (name: string) => program.commands.find((candidate) => candidate.name() === name);
    expect(command("api")).toBeDefined();
    expect(command("worker")).toBeDefined();
    const mcp = command("mcp");
    expect(mcp?.options.map((option) => option.long)).toEqual(expect.arrayContaining(["--http", "--port", "--bind"]));
    expect(mcp?.registeredArguments[0]?.argChoices).toEqual([...MCP_SERVER_NAMES]);
    // bin/ runs dist/ when the TypeScript sources are absent, as they are in the image.
    expect(readFileSync(`${root}bin/event-planner.js`, "utf8")).toContain("../dist/cli/main.js");
    expect(readFileSync(`${root}scripts/build.js`, "utf8")).toContain("dist/drizzle/migrations");
  });

  it(".dockerignore keeps secrets, local state and dependencies out of the build context, and lets the build's inputs in", () => {
    for (const path of [".env", ".git", "node_modules", "mcp-servers/slack/node_modules", ".data", "dist", "nginx/certs/privkey.pem", "api/app.test.ts"]) expect(ignored(path), path).toBe(true);
    const inputs = ["package.json", "package-lock.json", ".npmrc", "tsconfig.json", "tsconfig.build.json", "scripts/build.js", "bin/event-planner.js", "cli/main.ts", "drizzle/migrations/0000_init.sql", "mcp-servers/postgres/server.ts", "test/db.ts"];
    for (const path of inputs) {
      expect(existsSync(root + path), path).toBe(true);
      expect(ignored(path), path).toBe(false);
    }
  });
});
