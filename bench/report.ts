/** What each measurement hands back, and how RESULTS.md and results.json are written from it. */
import { writeFile } from "node:fs/promises";

export interface Goal {
  /** What is measured, e.g. "stdio p99". */
  figure: string;
  target: string;
  actual: string;
  met: boolean;
  /** Required when not met: why, and what would fix it. */
  whyNot?: string;
}

export interface Section {
  id: string;
  title: string;
  /** One paragraph: what was run and how. */
  method: string;
  /** A Markdown table: header row first. */
  table: string[][];
  goals: Goal[];
  notes?: string[];
  data: unknown;
}

export interface Machine {
  date: string;
  cpus: string;
  cores: number;
  memoryGiB: number;
  node: string;
  postgres: string;
  redis: string;
  platform: string;
  /** 1-minute load average at the start and at the end: the machine is shared. */
  loadAverage: { start: number; end?: number };
  mode: "full" | "quick";
}

function markdownTable(rows: string[][]): string {
  const [head, ...body] = rows;
  if (!head) return "";
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...body.map(line)].join("\n");
}

export function renderMarkdown(machine: Machine, sections: readonly Section[], elapsedSeconds: number): string {
  const out: string[] = [];
  out.push("# Benchmarks", "");
  out.push(`Written by \`npm run bench\`${machine.mode === "quick" ? " --quick (a smoke run: too few samples to quote)" : ""} on ${machine.date} in ${Math.round(elapsedSeconds)} s. Every figure is a median or percentile over repeated runs; ratios compare with a baseline measured in the same run. Raw numbers: [results.json](results.json).`, "");
  out.push("## Machine", "");
  out.push(markdownTable([
    ["", ""],
    ["CPU", `${machine.cores} cores, ${machine.cpus}`],
    ["RAM", `${machine.memoryGiB} GiB`],
    ["OS", machine.platform],
    ["Node", machine.node],
    ["Postgres", machine.postgres],
    ["Redis", machine.redis],
    ["load average (1 min)", `${machine.loadAverage.start.toFixed(2)} at the start, ${machine.loadAverage.end?.toFixed(2) ?? "?"} at the end (other work on the machine slows every figure)`],
  ]));
  out.push("", "## Goals", "");
  const goals = sections.flatMap((section) => section.goals.map((goal) => ({ section, goal })));
  out.push(markdownTable([["", "figure", "goal", "measured"], ...goals.map(({ section, goal }) => [goal.met ? "met" : "**missed**", `${section.title}: ${goal.figure}`, goal.target, goal.actual])]));
  const missed = goals.filter(({ goal }) => !goal.met);
  if (missed.length > 0) {
    out.push("", "Why the missed ones miss, and what would fix them:", "");
    for (const { section, goal } of missed) out.push(`- **${section.title}: ${goal.figure}.** ${goal.whyNot ?? "(no explanation recorded)"}`);
  }
  for (const section of sections) {
    out.push("", `## ${section.title}`, "", section.method, "", markdownTable(section.table));
    for (const note of section.notes ?? []) out.push("", note);
  }
  return `${out.join("\n")}\n`;
}

export async function writeResults(dir: URL, machine: Machine, sections: readonly Section[], elapsedSeconds: number): Promise<void> {
  await writeFile(new URL("RESULTS.md", dir), renderMarkdown(machine, sections, elapsedSeconds));
  const json = { machine, elapsedSeconds: Math.round(elapsedSeconds), sections: sections.map(({ id, title, goals, data }) => ({ id, title, goals, data })) };
  await writeFile(new URL("results.json", dir), `${JSON.stringify(json, null, 2)}\n`);
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}
