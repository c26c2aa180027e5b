/**
 * Runs the real nginx config in a test: rendered from nginx.conf.template the way the nginx image
 * renders it in Compose (environment placeholders), with 127.0.0.1 upstreams, high ports and
 * every path nginx writes to inside a temporary prefix, as the current user, in the foreground.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { freePort } from "../../test/processes.js";

const run = promisify(execFile);
const NGINX_DIR = new URL("..", import.meta.url).pathname;

export const TEMPLATE_PATH = join(NGINX_DIR, "nginx.conf.template");

/** `${NAME}` placeholders of the template. */
export function placeholders(template: string): Set<string> {
  return new Set([...template.matchAll(/\$\{([A-Z_][A-Z0-9_]*)\}/g)].map((match) => match[1] ?? ""));
}

/** What the nginx image's envsubst step does with the variables it is given. */
export function render(template: string, values: Record<string, string>): string {
  return template.replace(/\$\{([A-Z_][A-Z0-9_]*)\}/g, (whole, name: string) => values[name] ?? whole);
}

export interface NginxPrefix {
  dir: string;
  conf: string;
  certFile: string;
  httpPort: number;
  httpsPort: number;
  remove(): void;
}

/** A prefix directory with a self-signed certificate (nginx/dev-cert.sh) and the rendered config. */
export async function preparePrefix(apiUpstream: string): Promise<NginxPrefix> {
  const dir = mkdtempSync(join(tmpdir(), "event-planner-nginx-"));
  // nginx started as root runs its workers as another user, which must reach the temp paths.
  chmodSync(dir, 0o755);
  await run("sh", [join(NGINX_DIR, "dev-cert.sh"), join(dir, "certs")]);
  mkdirSync(join(dir, "temp"));
  copyFileSync(join(NGINX_DIR, "security-headers.conf"), join(dir, "security-headers.conf"));
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const conf = join(dir, "nginx.conf");
  writeFileSync(
    conf,
    render(readFileSync(TEMPLATE_PATH, "utf8"), {
      API_UPSTREAM: apiUpstream,
      NGINX_RESOLVER: "127.0.0.1",
      NGINX_HTTP_PORT: `127.0.0.1:${httpPort}`,
      NGINX_HTTPS_PORT: `127.0.0.1:${httpsPort}`,
      NGINX_CERT_DIR: join(dir, "certs"),
      NGINX_TEMP_DIR: join(dir, "temp"),
      NGINX_PID_FILE: join(dir, "nginx.pid"),
    }),
  );
  return { dir, conf, certFile: join(dir, "certs", "fullchain.pem"), httpPort, httpsPort, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `nginx -t` on the rendered config: its exit code and what it said. stdout is /dev/null, as for
 * the running nginx, because the access log goes to /dev/stdout and nginx cannot open that on the
 * socket Node would give it.
 */
export function testConfig(prefix: NginxPrefix): Promise<{ code: number | null; output: string }> {
  const child = spawn("nginx", ["-t", "-c", prefix.conf, "-p", `${prefix.dir}/`], { stdio: ["ignore", "ignore", "pipe"] });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, output }));
  });
}

export interface RunningNginx {
  stderr(): string;
  stop(): Promise<void>;
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Start nginx in the foreground and wait until its HTTPS port accepts connections. */
export async function startNginx(prefix: NginxPrefix): Promise<RunningNginx> {
  const child: ChildProcess = spawn("nginx", ["-c", prefix.conf, "-p", `${prefix.dir}/`, "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
  let errors = "";
  child.stderr?.on("data", (chunk: Buffer) => (errors += chunk.toString()));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("exit", () => ((exited = true), resolve())));
  for (;;) {
    if (exited) throw new Error(`nginx exited at start: ${errors}`);
    if (await accepts(prefix.httpsPort)) break;
    await sleep(25);
  }
  return {
    stderr: () => errors,
    async stop() {
      if (!exited) child.kill("SIGTERM");
      await exit;
    },
  };
}
