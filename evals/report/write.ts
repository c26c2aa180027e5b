/** Writes the three reports of a run into one directory. */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { SuiteResult } from "../results.js";
import type { Comparison } from "./baseline.js";
import { formatHtml } from "./html.js";
import { formatMarkdown } from "./markdown.js";

export interface WrittenReport {
  json: string;
  markdown: string;
  html: string;
}

export async function writeReports(dir: string, result: SuiteResult, comparison?: Comparison): Promise<WrittenReport> {
  await mkdir(dir, { recursive: true });
  const files = { json: path.join(dir, "report.json"), markdown: path.join(dir, "report.md"), html: path.join(dir, "report.html") };
  await writeFile(files.json, `${JSON.stringify(comparison ? { ...result, baseline: comparison } : result, null, 1)}\n`);
  await writeFile(files.markdown, formatMarkdown(result, comparison));
  await writeFile(files.html, formatHtml(result, comparison));
  return files;
}

/** `eval-reports/2027-03-02T09-00-00Z`: sortable, one directory per run. */
export function defaultReportDir(now: Date = new Date()): string {
  return path.join("eval-reports", now.toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-"));
}
