/**
 * Progress while the suite runs: a bar redrawn in place when stdout is a terminal, one plain line
 * per finished trial otherwise (CI logs, pipes), so nothing scrolls garbage into a log file.
 */
import type { ProgressEvent } from "./runner.js";

const WIDTH = 28;

export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export function createProgress(output: ProgressOutput): { onProgress: (event: ProgressEvent) => void; done: () => void } {
  let drawn = false;
  let failures = 0;
  const tty = output.isTTY === true;
  return {
    onProgress(event) {
      if (event.type === "started") {
        output.write(tty ? "" : `Running ${event.total} trial(s)\n`);
        return;
      }
      const { result, done, total } = event;
      if (!result.passed) failures += 1;
      const verdict = result.passed ? "pass" : result.safe ? "FAIL" : "FAIL (unsafe)";
      const label = `${result.scenarioId} #${result.trial} ${verdict} (${result.cost.wallSeconds.toFixed(1)} s)`;
      if (!tty) {
        output.write(`[${done}/${total}] ${label}\n`);
        return;
      }
      const filled = Math.round((done / total) * WIDTH);
      const line = `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${done}/${total}${failures > 0 ? `, ${failures} failed` : ""}  ${label}`;
      // A terminal that reports no width (0 under some wrappers) gets a generous default.
      const width = output.columns !== undefined && output.columns > 20 ? output.columns - 1 : 100;
      output.write(`\r${line.slice(0, width).padEnd(width)}`);
      drawn = true;
    },
    done() {
      if (tty && drawn) output.write("\n");
    },
  };
}
