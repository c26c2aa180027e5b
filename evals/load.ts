/**
 * Scenarios and catalogues from disk: YAML or JSON files, each checked against its schema with the
 * file and field named on error, and cross-checked (unique ids, catalogues that exist, venues and
 * vendors that fixtures name).
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import type { z } from "zod";
import { AppError } from "../lib/errors.js";
import { issuePath } from "../lib/validation.js";
import { catalogueSchema, scenarioSchema, type Catalogue, type Scenario } from "./scenario.js";

/** evals/ beside this file: the source tree, or dist/evals, where the build copies the data files. */
export function evalsDir(): string {
  return path.dirname(fileURLToPath(import.meta.url));
}

export function scenariosDir(): string {
  return path.join(evalsDir(), "scenarios");
}

export function cataloguesDir(): string {
  return path.join(evalsDir(), "fixtures", "catalogues");
}

const DATA_FILE = /\.(ya?ml|json)$/;

async function readDataFiles(dir: string): Promise<{ file: string; data: unknown }[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => DATA_FILE.test(name)).sort();
  } catch {
    throw new AppError("validation_failed", `no eval data at ${dir}: run from the source tree, or rebuild with npm run build`, { field: "dir" });
  }
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      const text = await readFile(file, "utf8");
      try {
        return { file, data: name.endsWith(".json") ? (JSON.parse(text) as unknown) : (parseYaml(text) as unknown) };
      } catch (error) {
        throw new AppError("validation_failed", `${file}: not valid ${name.endsWith(".json") ? "JSON" : "YAML"}: ${error instanceof Error ? error.message : String(error)}`, { field: file });
      }
    }),
  );
}

function parseFile<S extends z.ZodType>(schema: S, file: string, data: unknown): z.output<S> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new AppError("validation_failed", `${file}: ${issue ? `${issuePath(issue.path)}: ${issue.message}` : "invalid"}`, { field: file });
}

export async function loadCatalogues(dir = cataloguesDir()): Promise<Map<string, Catalogue>> {
  const files = await readDataFiles(dir);
  return new Map(files.map(({ file, data }) => [path.basename(file).replace(DATA_FILE, ""), parseFile(catalogueSchema, file, data)]));
}

function crossCheck(scenario: Scenario, file: string, catalogues: ReadonlyMap<string, Catalogue>): void {
  const fail = (message: string) => {
    throw new AppError("validation_failed", `${file}: ${message}`, { field: file });
  };
  const chosen = scenario.fixtures.catalogues.map((name) => catalogues.get(name) ?? fail(`fixtures.catalogues: no catalogue "${name}" in evals/fixtures/catalogues`));
  const venues = new Set(chosen.flatMap((catalogue) => catalogue.venues.map((venue) => venue.name)));
  const vendors = new Set(chosen.flatMap((catalogue) => catalogue.vendors.map((vendor) => vendor.name)));
  const cities = new Set(chosen.map((catalogue) => catalogue.city));
  scenario.fixtures.events.forEach((event, index) => {
    if (!cities.has(event.city)) fail(`fixtures.events.${index}.city: ${event.city} is not the city of a chosen catalogue`);
    if (event.booking && !venues.has(event.booking.venue)) fail(`fixtures.events.${index}.booking.venue: no venue "${event.booking.venue}" in the chosen catalogues`);
    if (event.quote && !vendors.has(event.quote.vendor)) fail(`fixtures.events.${index}.quote.vendor: no vendor "${event.quote.vendor}" in the chosen catalogues`);
  });
  scenario.conversation.forEach((step, index) => {
    if ("vendorQuote" in step && !vendors.has(step.vendorQuote.vendor)) fail(`conversation.${index}.vendorQuote.vendor: no vendor "${step.vendorQuote.vendor}" in the chosen catalogues`);
  });
  for (const name of scenario.expect.venue?.not ?? []) if (!venues.has(name)) fail(`expect.venue.not: no venue "${name}" in the chosen catalogues`);
}

export async function loadScenarios(catalogues: ReadonlyMap<string, Catalogue>, dir = scenariosDir()): Promise<Scenario[]> {
  const files = await readDataFiles(dir);
  const scenarios = files.map(({ file, data }) => {
    const scenario = parseFile(scenarioSchema, file, data);
    crossCheck(scenario, file, catalogues);
    return scenario;
  });
  const ids = new Set<string>();
  for (const scenario of scenarios) {
    if (ids.has(scenario.id)) throw new AppError("validation_failed", `two scenarios have the id ${scenario.id}`, { field: "id" });
    ids.add(scenario.id);
  }
  return scenarios;
}

/** The scenarios `--scenario` names (exact ids, or a prefix ending in `*`), in suite order. */
export function selectScenarios(scenarios: readonly Scenario[], wanted: readonly string[]): Scenario[] {
  if (wanted.length === 0) return [...scenarios];
  const unknown = wanted.filter((name) => !scenarios.some((scenario) => matchesName(scenario.id, name)));
  if (unknown.length > 0) throw new AppError("validation_failed", `--scenario: no scenario ${unknown.join(", ")}; known: ${scenarios.map((scenario) => scenario.id).join(", ")}`, { field: "scenario" });
  return scenarios.filter((scenario) => wanted.some((name) => matchesName(scenario.id, name)));
}

function matchesName(id: string, name: string): boolean {
  return name.endsWith("*") ? id.startsWith(name.slice(0, -1)) : id === name;
}
