/**
 * A Postgres cluster of the test's own (initdb in a temporary directory, a free port), for tests
 * that stop and start the database server itself. The server refuses to run as root, so when the
 * tests run as root its commands run as the `postgres` OS user.
 */
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort } from "./processes.js";

const run = promisify(execFile);
const PG_ROOT = "/usr/lib/postgresql";

export interface PrivatePostgres {
  /** Superuser `postgres`, trust auth, database `postgres`. */
  url: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m immediate`: the server dies without a checkpoint, as in a crash. */
  crash(): Promise<void>;
  destroy(): Promise<void>;
}

/** The newest installed server's bin directory (Debian layout), or undefined. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const versions = readdirSync(PG_ROOT)
    .filter((version) => existsSync(path.join(PG_ROOT, version, "bin", "initdb")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(PG_ROOT, versions[0], "bin");
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(`no Postgres server binaries under ${PG_ROOT}/*/bin: install postgresql to run this test`);
  const asRoot = userInfo().uid === 0;
  const pg = async (tool: string, args: string[]) => {
    const command = path.join(bin, tool);
    await (asRoot ? run("runuser", ["-u", "postgres", "--", command, ...args]) : run(command, args));
  };
  const dir = mkdtempSync(path.join(tmpdir(), "ept-pg-"));
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const data = path.join(dir, "data");
  const port = await freePort();
  // fsync off: the test crashes the server, not the machine, so the OS still has every write. (Not
  // synchronous_commit=off: that would lose commits still in the server's WAL buffers when it dies.)
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start: () => pg("pg_ctl", ["-D", data, "-o", serverOptions, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "start"]),
    crash: () => pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]),
    async destroy() {
      await pg("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
