import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { AppError } from "../lib/errors.js";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Embedded PGlite belongs to one process: two processes opening the same directory corrupt it.
 * A pid file makes the second opener (another process, or this one twice) fail with a clear
 * message instead; a lock left by a dead process is taken over.
 */
export function acquireDataDirLock(dir: string): () => void {
  const lockFile = path.join(dir, "event-planner.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(lockFile, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new AppError(
          "conflict",
          `The embedded database in ${dir} is in use by process ${owner}. PGlite serves one process: stop it, or set DATABASE_URL to use Postgres.`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new AppError("conflict", `Could not lock the embedded database in ${dir}`);
}
