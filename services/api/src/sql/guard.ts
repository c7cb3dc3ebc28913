/**
 * The SQL console's guard: a statement runs only if ClickHouse's own parser says it is one read-only
 * statement. The text never reaches the engine as SQL until then: `formatQuery` receives it as a
 * bound string and returns ClickHouse's canonical rendering of exactly one statement (it refuses
 * multi-statements); `EXPLAIN AST` of that rendering gives the tree checked here. What runs
 * afterwards is the rendering, so what was checked is what runs.
 *
 * Refused: anything but SELECT/WITH, SHOW, DESCRIBE and EXPLAIN of those; every table function
 * (file, url, s3, remote, numbers, …) and the functions that read outside the database (`file`);
 * INTO OUTFILE, FORMAT and SETTINGS clauses (the console chooses the format and the limits).
 *
 * Why not `readonly = 1`: the embedded engine keeps a query's settings as session SETs that
 * outlive the query, and ingest inserts through the same session in `tollgate up`.
 */
import type { Store } from "@tollgate/store";
import { ApiError } from "../errors.js";

export type StatementKind = "select" | "show" | "describe" | "explain";

export interface CheckedStatement {
  /** ClickHouse's canonical text of the statement: what is run. */
  sql: string;
  kind: StatementKind;
}

export class SqlRefused extends ApiError {
  constructor(message: string) {
    super(400, "sql_refused", message, "sql");
  }
}

/** Functions that reach outside the database even outside FROM. Compared in lower case. */
const OUTSIDE_FUNCTIONS = new Set(["file", "catboostevaluate", "evalmlmethod", "joinget", "joingetornull"]);

/** Query nodes a read-only statement may contain; any other `…Query` node is a write, DDL or command. */
const READ_QUERIES = new Set([
  "SelectWithUnionQuery",
  "SelectQuery",
  "SelectIntersectExceptQuery",
  "TablesInSelectQuery",
]);

interface AstNode {
  depth: number;
  name: string;
  /** The rest of the line: a function's or identifier's name, a literal. */
  detail: string;
}

export async function checkStatement(
  store: Store,
  text: string,
  tableFunctions: () => Promise<ReadonlySet<string>>,
): Promise<CheckedStatement> {
  if (text.trim() === "") throw new SqlRefused("the statement is empty");
  const formatted = await canonical(store, text);
  refuseClausesIn(formatted);
  const nodes = await ast(store, formatted);
  const kind = kindOf(nodes);
  const functions = await tableFunctions();
  refuseNodes(nodes, functions);
  return { sql: formatted, kind };
}

async function canonical(store: Store, text: string): Promise<string> {
  try {
    const [row] = await store.select<{ sql: string }>("SELECT formatQuery({statement:String}) AS sql", {
      statement: text,
    });
    if (row === undefined) throw new SqlRefused("ClickHouse did not parse the statement");
    return row.sql;
  } catch (error) {
    if (error instanceof SqlRefused) throw error;
    throw new SqlRefused(`not one valid statement: ${clickhouseMessage(error)}`);
  }
}

/** The clauses that choose where and how results go, at the start of a line of the canonical text. */
function refuseClausesIn(formatted: string): void {
  if (/^\s*INTO OUTFILE\b/m.test(formatted))
    throw new SqlRefused("INTO OUTFILE is not allowed: results come back here");
  if (/^\s*FORMAT\s/m.test(formatted))
    throw new SqlRefused("a FORMAT clause is not allowed: the console chooses the format");
  if (/^\s*SETTINGS\s/m.test(formatted))
    throw new SqlRefused("a SETTINGS clause is not allowed: the console sets the limits");
}

async function ast(store: Store, formatted: string): Promise<AstNode[]> {
  // The embedded engine answers EXPLAIN with plain strings, a server with {explain} objects.
  let rows: unknown[];
  try {
    rows = await store.select<unknown>(`EXPLAIN AST ${formatted}`);
  } catch (error) {
    throw new SqlRefused(`ClickHouse could not explain the statement: ${clickhouseMessage(error)}`);
  }
  return rows.map((row) => {
    const line = typeof row === "string" ? row : String((row as { explain?: unknown }).explain ?? "");
    const depth = line.length - line.trimStart().length;
    const [name = "", ...rest] = line.trim().split(/\s+/);
    return { depth, name, detail: rest.join(" ") };
  });
}

function kindOf(nodes: AstNode[]): StatementKind {
  const roots = nodes.filter((node) => node.depth === 0);
  const [root] = roots;
  if (root === undefined || roots.length !== 1) throw new SqlRefused("exactly one statement is accepted");
  if (root.name === "SelectWithUnionQuery" || root.name === "SelectIntersectExceptQuery") return "select";
  if (root.name.startsWith("Show")) return "show";
  if (root.name === "DescribeQuery") return "describe";
  if (root.name === "Explain") return "explain";
  throw new SqlRefused(
    `only SELECT, WITH, SHOW, DESCRIBE and EXPLAIN are accepted, not ${statementName(root.name)}`,
  );
}

function refuseNodes(nodes: AstNode[], tableFunctions: ReadonlySet<string>): void {
  nodes.forEach((node, i) => {
    if (node.name === "Set")
      throw new SqlRefused("a SETTINGS clause is not allowed: the console sets the limits");
    if (node.depth > 0 && node.name.endsWith("Query") && !READ_QUERIES.has(node.name))
      throw new SqlRefused(`only read-only statements are accepted, not ${statementName(node.name)}`);
    if (node.depth === 1 && node.name === "Literal")
      throw new SqlRefused("INTO OUTFILE is not allowed: results come back here");
    if (node.name !== "Function") return;
    const name = node.detail.split(" ")[0] ?? "";
    const parent = parentOf(nodes, i);
    if (parent?.name === "TableExpression" || tableFunctions.has(name.toLowerCase()))
      throw new SqlRefused(
        `table functions are not allowed (${name}): query the tables (events, replay_reports)`,
      );
    if (OUTSIDE_FUNCTIONS.has(name.toLowerCase()))
      throw new SqlRefused(`the function ${name} reads outside the database and is not allowed`);
  });
}

function parentOf(nodes: AstNode[], index: number): AstNode | undefined {
  const depth = nodes[index]?.depth ?? 0;
  for (let i = index - 1; i >= 0; i--) if ((nodes[i]?.depth ?? 0) < depth) return nodes[i];
  return undefined;
}

function statementName(node: string): string {
  const words = node.replace(/Query$/, "").replace(/([a-z])([A-Z])/g, "$1 $2");
  return words.toUpperCase();
}

/** ClickHouse's message without its stack or the echo of our own wrapper query. */
export function clickhouseMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/\s*:\s*In scope SELECT formatQuery[\s\S]*$/, "")
    .replace(/\s*\(version [^)]*\)\s*$/, "")
    .trim();
}
