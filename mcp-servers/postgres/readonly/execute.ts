import type { PGlite, Transaction } from "@electric-sql/pglite";
import type pg from "pg";
import type { DatabaseHandle } from "../../../drizzle/client.js";

export const READONLY_ROLE = "event_planner_readonly";
export const WORKSPACE_SETTING = "event_planner.workspace_id";

export interface ReadonlyLimits {
  /** Rows returned at most; one more is fetched to tell the caller the result was cut. */
  rowCap: number;
  /** Postgres cancels the statement after this; PGlite cannot (see allow-lists.ts). */
  timeoutMs: number;
}

export interface ReadonlyResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

/** The statement as a subquery: the row cap applies to any statement, and nothing can follow it. */
function wrap(statement: string): string {
  return `select * from (\n${statement}\n) as readonly_query limit $1`;
}

/** JSON-safe cell values: Dates as ISO strings, bytes as base64, everything else as the driver gave it. */
function jsonCell(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
  if (typeof value === "bigint") return value.toString();
  return value;
}

function shape(fields: { name: string }[], rows: unknown[][], rowCap: number): ReadonlyResult {
  return { columns: fields.map((f) => f.name), rows: rows.slice(0, rowCap).map((row) => row.map(jsonCell)), truncated: rows.length > rowCap };
}

async function onPostgres(pool: pg.Pool, workspaceId: string, statement: string, limits: ReadonlyLimits): Promise<ReadonlyResult> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query("begin transaction read only");
    await client.query(`set local statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
    await client.query("select set_config($1, $2, true)", [WORKSPACE_SETTING, workspaceId]);
    await client.query(`set local role ${READONLY_ROLE}`);
    // A parameter forces the extended protocol, which refuses more than one statement.
    const result = await client.query<unknown[]>({ text: wrap(statement), values: [limits.rowCap + 1], rowMode: "array" });
    return shape(result.fields, result.rows, limits.rowCap);
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    await client.query("rollback").catch(() => undefined);
    // A connection that failed mid-way is not trusted back into the pool.
    client.release(broken);
  }
}

async function onPglite(db: PGlite, workspaceId: string, statement: string, limits: ReadonlyLimits): Promise<ReadonlyResult> {
  return db.transaction(async (tx: Transaction) => {
    await tx.query("set transaction read only");
    await tx.query(`set local statement_timeout = ${Math.max(1, Math.floor(limits.timeoutMs))}`);
    await tx.query("select set_config($1, $2, true)", [WORKSPACE_SETTING, workspaceId]);
    await tx.query(`set local role ${READONLY_ROLE}`);
    const result = await tx.query<unknown[]>(wrap(statement), [limits.rowCap + 1], { rowMode: "array" });
    await tx.rollback();
    return shape(result.fields, result.rows, limits.rowCap);
  });
}

/**
 * Run one already-checked SELECT as the read-only role, in a read-only transaction that is always
 * rolled back, seeing only `workspaceId`'s rows (row-level security) and the shared catalogue.
 */
export function executeReadonly(handle: DatabaseHandle, workspaceId: string, statement: string, limits: ReadonlyLimits): Promise<ReadonlyResult> {
  return handle.driver === "postgres"
    ? onPostgres(handle.client as pg.Pool, workspaceId, statement, limits)
    : onPglite(handle.client as PGlite, workspaceId, statement, limits);
}
