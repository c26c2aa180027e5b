/**
 * Long-running product processes (`event-planner worker`, `event-planner mcp … --http`) and
 * private servers for fault tests: spawned with only the environment given, output kept for
 * assertion messages, killed by the test that started them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../bin/event-planner.js", import.meta.url));

export interface Spawned {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function spawnProcess(command: string, args: string[], env: Record<string, string>): Spawned {
  const child = spawn(command, args, { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** The `event-planner` CLI as a separate process. */
export function spawnProduct(args: string[], env: Record<string, string>): Spawned {
  return spawnProcess(process.execPath, [BIN, ...args], env);
}

/** Wait until the process writes a line matching `pattern`; fails with its output if it exits first or `timeoutMs` passes. */
export async function waitForOutput(spawned: Spawned, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(spawned.output());
    if (match) return match;
    if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) throw new Error(`process exited before printing ${String(pattern)}:\n${spawned.output()}`);
    if (Date.now() > deadline) throw new Error(`process did not print ${String(pattern)} within ${timeoutMs} ms:\n${spawned.output()}`);
    await sleep(50);
  }
}

/** SIGKILL and wait for the exit; a process already gone is fine. */
export async function killHard(spawned: Spawned): Promise<void> {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill("SIGKILL");
  await spawned.exited;
}

/** A promise the test settles when it chooses: a held model turn or vendor answer. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

export interface PrivateRedis {
  url: string;
  /** The server process, for a test to kill. */
  server: Spawned;
  /** Start it again on the same port and directory (after a kill): the append-only file brings the data back. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A `redis-server` of the test's own on a free port, persisting like the Compose stack's (AOF),
 * but with every write fsynced so a SIGKILL loses nothing a client was told had been written.
 */
export async function startPrivateRedis(dir: string): Promise<PrivateRedis> {
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir];
  const start = async (): Promise<Spawned> => {
    const server = spawnProcess("redis-server", args, {});
    const deadline = Date.now() + 20_000;
    while (!/Ready to accept connections/.test(server.output())) {
      if (server.child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start:\n${server.output()}`);
      await sleep(20);
    }
    return server;
  };
  const redis: PrivateRedis = {
    url: `redis://127.0.0.1:${port}`,
    server: await start(),
    async restart() {
      redis.server = await start();
    },
    stop: () => killHard(redis.server),
  };
  return redis;
}
