/**
 * What model-written SQL may use. Everything is allow-listed: a node type, table, function or cast
 * that is not named here is refused, so a PostgreSQL feature we never thought about is refused too.
 */

/** The planning tables; the database role and row-level security enforce the same list. */
export const READONLY_TABLES = new Set(["events", "venues", "vendors", "venue_bookings", "vendor_quotes", "guests", "tasks", "budget_lines"]);

/** Pure, side-effect-free functions for reporting. No sleep, no config, no admin, no file or network access. */
export const READONLY_FUNCTIONS = new Set([
  // aggregates
  "count", "sum", "avg", "min", "max", "bool_and", "bool_or", "every", "string_agg", "array_agg", "percentile_cont", "percentile_disc", "mode",
  // window
  "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value", "last_value",
  // text
  // No `repeat`, `lpad`, `format` (its width pads to any size) or `replace` (nested, it multiplies its
  // input): text may grow at most linearly with the query, or one row can exhaust memory.
  "lower", "upper", "initcap", "length", "char_length", "trim", "btrim", "ltrim", "rtrim", "substr", "substring", "left", "right", "concat", "concat_ws", "split_part", "position", "strpos", "starts_with",
  // numbers
  "abs", "round", "ceil", "ceiling", "floor", "trunc", "greatest", "least", "div", "mod",
  // dates
  "now", "date_trunc", "date_part", "extract", "age", "make_date", "make_interval", "to_char", "timezone", "justify_days", "justify_hours", "isfinite",
  // arrays and json (reading)
  "array_length", "cardinality", "unnest", "array_to_string", "array_position", "jsonb_array_length", "jsonb_typeof", "jsonb_extract_path_text", "to_jsonb", "jsonb_build_object", "jsonb_agg", "json_agg",
  "coalesce", "nullif",
]);

/** Casts a report needs; input functions of exotic types (regclass, regproc …) stay out. */
export const READONLY_CAST_TYPES = new Set([
  "int2", "int4", "int8", "integer", "int", "bigint", "smallint", "numeric", "decimal", "float4", "float8", "real", "double precision",
  "text", "varchar", "bpchar", "char", "bool", "boolean", "date", "time", "timestamp", "timestamptz", "interval", "uuid", "jsonb", "json",
]);

/**
 * Parse-tree node types a SELECT for reporting is made of. Statements other than SELECT, INTO,
 * row locks, parameters, and anything newer or stranger fall outside this list.
 */
export const READONLY_NODE_TYPES = new Set([
  "SelectStmt", "ResTarget", "ColumnRef", "A_Const", "A_Expr", "A_Star", "A_ArrayExpr", "A_Indices", "A_Indirection",
  "BoolExpr", "NullTest", "BooleanTest", "CaseExpr", "CaseWhen", "CoalesceExpr", "MinMaxExpr", "NullIfExpr", "SQLValueFunction",
  "FuncCall", "TypeCast", "TypeName", "CollateClause",
  "RangeVar", "RangeSubselect", "RangeFunction", "JoinExpr", "Alias", "SortBy", "SubLink", "RowExpr", "GroupingSet", "WindowDef",
  "WithClause", "CommonTableExpr",
  "String", "Integer", "Float", "Boolean", "BitString", "List",
]);

/** On PGlite the statement timeout cannot interrupt a query, so the shape of a query is bounded too. */
export const MAX_RELATIONS_PER_QUERY = 6;
export const MAX_SQL_LENGTH = 10_000;
