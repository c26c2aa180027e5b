import { parse } from "libpg-query";
import { ValidationError } from "../../../lib/errors.js";
import { MAX_RELATIONS_PER_QUERY, MAX_SQL_LENGTH, READONLY_CAST_TYPES, READONLY_FUNCTIONS, READONLY_NODE_TYPES, READONLY_TABLES } from "./allow-lists.js";

type ParseNode = Record<string, unknown>;

interface RawStatement {
  stmt: ParseNode;
  stmt_location?: number;
  stmt_len?: number;
}

function refuse(reason: string): never {
  throw new ValidationError(`sql: ${reason}`, { field: "sql" });
}

function names(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const value = (item as { String?: { sval?: string } }).String?.sval;
    if (typeof value !== "string") refuse("an identifier could not be read");
    return value.toLowerCase();
  });
}

interface WalkState {
  relations: number;
}

function checkRangeVar(node: ParseNode, ctes: ReadonlySet<string>, state: WalkState): void {
  const relname = typeof node.relname === "string" ? node.relname.toLowerCase() : refuse("a table name could not be read");
  const schema = node.schemaname === undefined ? undefined : typeof node.schemaname === "string" ? node.schemaname.toLowerCase() : refuse("a schema name could not be read");
  if (node.catalogname !== undefined) refuse(`cross-database references are not allowed`);
  if (schema === undefined && ctes.has(relname)) return;
  if ((schema !== undefined && schema !== "public") || !READONLY_TABLES.has(relname)) {
    refuse(`table ${schema ? `${schema}.` : ""}${relname} is not readable; use one of ${[...READONLY_TABLES].join(", ")}`);
  }
  state.relations++;
  if (state.relations > MAX_RELATIONS_PER_QUERY) refuse(`at most ${MAX_RELATIONS_PER_QUERY} table references per query`);
}

function checkFuncCall(node: ParseNode): void {
  const parts = names(node.funcname);
  const name = parts.at(-1) ?? "";
  const schema = parts.length > 1 ? parts.at(-2) : undefined;
  if (parts.length > 2 || (schema !== undefined && schema !== "pg_catalog") || !READONLY_FUNCTIONS.has(name)) {
    refuse(`function ${parts.join(".")} is not allowed`);
  }
}

function checkTypeCast(node: ParseNode): void {
  const typeName = (node.typeName ?? {}) as { names?: unknown };
  const parts = names(typeName.names);
  const name = parts.at(-1) ?? "";
  if (!READONLY_CAST_TYPES.has(name)) refuse(`cast to ${parts.join(".")} is not allowed`);
}

/** CTE names a SELECT defines: visible inside that SELECT (and its subqueries) only. */
function withNames(select: ParseNode): string[] {
  const withClause = select.withClause as { recursive?: boolean; ctes?: { CommonTableExpr?: { ctename?: string } }[] } | undefined;
  // A recursive CTE can loop for ever, and PGlite's statement timeout cannot interrupt it.
  if (withClause?.recursive === true) refuse("WITH RECURSIVE is not allowed");
  return (withClause?.ctes ?? []).map((cte) => String(cte.CommonTableExpr?.ctename ?? "").toLowerCase());
}

function walk(value: unknown, ctes: ReadonlySet<string>, state: WalkState): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, ctes, state);
    return;
  }
  if (value === null || typeof value !== "object") return;
  for (const [key, child] of Object.entries(value as ParseNode)) {
    // Parse nodes are wrapped as { NodeType: {...} }; field names start lower-case.
    if (!/^[A-Z]/.test(key)) {
      walk(child, ctes, state);
      continue;
    }
    if (!READONLY_NODE_TYPES.has(key)) refuse(`${key} is not allowed in a read-only query`);
    const node = child as ParseNode;
    let scope = ctes;
    switch (key) {
      case "SelectStmt":
        if (node.intoClause) refuse("SELECT INTO is not allowed");
        if (Array.isArray(node.lockingClause) && node.lockingClause.length > 0) refuse("row locks (FOR UPDATE/SHARE) are not allowed");
        scope = new Set([...ctes, ...withNames(node)]);
        break;
      case "RangeVar":
        checkRangeVar(node, ctes, state);
        break;
      case "FuncCall":
        checkFuncCall(node);
        break;
      case "TypeCast":
        checkTypeCast(node);
        break;
    }
    walk(node, scope, state);
  }
}

/**
 * Check model-written SQL with PostgreSQL's own parser (so comments, `U&` escapes and dollar
 * quoting are read exactly as the server reads them) and return the single statement's text.
 * This is the first of several layers: the executor also runs it in a read-only transaction,
 * under a role that can only SELECT, with row-level security, a timeout and a row cap.
 */
export async function checkReadonlySql(sql: string): Promise<string> {
  if (sql.length > MAX_SQL_LENGTH) refuse(`at most ${MAX_SQL_LENGTH} characters`);
  let tree: { stmts?: RawStatement[] };
  try {
    tree = (await parse(sql)) as { stmts?: RawStatement[] };
  } catch (error) {
    refuse(`syntax error: ${error instanceof Error ? error.message : String(error)}`);
  }
  const statements = tree.stmts ?? [];
  if (statements.length !== 1) refuse(`exactly one statement is allowed, found ${statements.length}`);
  const [statement] = statements as [RawStatement];
  if (!("SelectStmt" in statement.stmt)) refuse(`only SELECT is allowed, found ${Object.keys(statement.stmt)[0] ?? "nothing"}`);
  walk(statement.stmt, new Set(), { relations: 0 });
  // The statement's own text without the trailing semicolon, for wrapping as a subquery. The
  // parser's offsets count UTF-8 bytes, not JavaScript characters.
  const bytes = Buffer.from(sql, "utf8");
  const start = statement.stmt_location ?? 0;
  return bytes.subarray(start, statement.stmt_len ? start + statement.stmt_len : undefined).toString("utf8").trim();
}
