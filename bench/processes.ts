/** Child processes of the product's own CLI (`bin/event-planner.js`), started and stopped by the bench. */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../bin/event-planner.js", import.meta.url));

export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, LOG_LEVEL: "warn", ...extra };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface CliProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `event-planner <args>` and wait until `ready` resolves (polled), or fail with its output. */
export async function startCli(args: string[], env: Record<string, string>, ready: () => Promise<boolean>, nodeArgs: string[] = [], timeoutMs = 30_000): Promise<CliProcess> {
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`event-planner ${args.join(" ")} exited early: ${output}`);
    if (await ready().catch(() => false)) return { child, stop };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`event-planner ${args.join(" ")} was not ready in ${timeoutMs} ms: ${output}`);
}

export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url);
  return response.ok;
}
