/**
 * A small Dockerfile reader for the deployment tests: instructions with continuation lines joined,
 * grouped by build stage, with `ARG` defaults declared before the first FROM resolved in FROM.
 * Enough for our own Dockerfiles, not a full BuildKit frontend.
 */
import { readFileSync } from "node:fs";

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  value: string;
}

export interface Stage {
  name: string | undefined;
  /** The base image or stage, with global ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Map<string, string>;
  stages: Stage[];
}

function logicalLines(text: string): string[] {
  const lines: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trimEnd();
    // Comment lines (parser directives too) are dropped, also between continuation lines.
    if (/^\s*#/.test(line)) continue;
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1).trim()} `;
      continue;
    }
    current += line.trim();
    if (current.trim() !== "") lines.push(current.trim());
    current = "";
  }
  if (current.trim() !== "") lines.push(current.trim());
  return lines;
}

function substituteArgs(text: string, args: Map<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? "") ?? whole);
}

export function parseDockerfile(text: string): Dockerfile {
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const match = /^([A-Za-z]+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? "").toUpperCase();
    const value = match[2] ?? "";
    if (keyword === "FROM") {
      const from = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(value);
      if (!from) throw new Error(`unreadable FROM: ${value}`);
      stages.push({ name: from[2], from: substituteArgs(from[1] ?? "", globalArgs), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword === "ARG") {
        const [name, fallback] = value.split("=", 2);
        if (name) globalArgs.set(name.trim(), (fallback ?? "").trim());
      }
      continue;
    }
    stage.instructions.push({ keyword, value });
  }
  return { globalArgs, stages };
}

export function readDockerfile(path: string): Dockerfile {
  return parseDockerfile(readFileSync(path, "utf8"));
}

/** The exec-form JSON array of CMD, ENTRYPOINT or HEALTHCHECK's CMD. */
export function execForm(value: string): string[] {
  const start = value.indexOf("[");
  if (start === -1) throw new Error(`not in exec form: ${value}`);
  return JSON.parse(value.slice(start)) as string[];
}

export function finalStage(file: Dockerfile): Stage {
  const stage = file.stages.at(-1);
  if (!stage) throw new Error("no stage");
  return stage;
}

export function instructionsOf(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword);
}
