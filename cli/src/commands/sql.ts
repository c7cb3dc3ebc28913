/**
 * `tollgate sql "SELECT …"`: the API's read-only SQL console from the command line, against a
 * running API (`--api`) or the store opened here. ClickHouse parses the statement first; anything
 * but one read is refused (exit 2).
 */
import { type Command, InvalidArgumentError, Option } from "commander";
import { ExitCode } from "../exit-codes.js";
import { type Output, table } from "../output.js";
import { refused, type SourceOptions, sourceOptions, withApi } from "./query.js";

export const SQL_FORMATS = ["table", "json", "csv", "tsv"] as const;
export type SqlFormat = (typeof SQL_FORMATS)[number];

export interface SqlOptions extends SourceOptions {
  json?: boolean;
  format?: SqlFormat;
  limit?: number;
}

interface SqlAnswer {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  truncated: boolean;
}

export function addSqlCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const command = program
    .command("sql")
    .description("run one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN) over the event store")
    .argument("<statement>", 'the statement, e.g. "SELECT tool, count() FROM events GROUP BY tool"')
    .option("--json", "print the API's JSON answer (columns with types, rows)")
    .addOption(new Option("--format <format>", "how to print the rows").choices(SQL_FORMATS).default("table"))
    .addOption(new Option("--limit <n>", "rows at most (default 1000, up to 10000)").argParser(rowLimit));
  sourceOptions(command)
    .addHelpText(
      "after",
      "\nClickHouse parses the statement first: table functions, INTO OUTFILE, FORMAT and SETTINGS are refused.\nExit codes: 0 answered, 2 the statement was refused, 3 usage.",
    )
    .exitOverride()
    .action(async (statement: string, options: SqlOptions) =>
      setExitCode(await sqlCommand(statement, options, output)),
    );
}

function rowLimit(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1 || parsed > 10_000)
    throw new InvalidArgumentError(`"${value}" must be a whole number from 1 to 10000`);
  return parsed;
}

export async function sqlCommand(statement: string, options: SqlOptions, output: Output): Promise<number> {
  const body = { sql: statement, ...(options.limit === undefined ? {} : { limit: options.limit }) };
  const reply = await withApi(options, (api) => api.request("POST", "/sql", body));
  if (reply.status !== 200) {
    const code = refused("tollgate sql", reply, output);
    // A statement that is not one read is invalid input, like an invalid policy.
    return (reply.body as { error?: string }).error === "sql_refused" ? ExitCode.invalidInput : code;
  }
  const answer = reply.body as SqlAnswer;
  const format = options.json ? "json" : (options.format ?? "table");
  output.out(formatted(answer, format));
  if (answer.truncated)
    output.err(
      `tollgate sql: only the first ${answer.rows.length} rows are shown (--limit raises it, to 10000)`,
    );
  return ExitCode.ok;
}

function formatted(answer: SqlAnswer, format: SqlFormat): string {
  const names = answer.columns.map((column) => column.name);
  switch (format) {
    case "json":
      return JSON.stringify(answer, null, 2);
    case "csv":
      return [names, ...answer.rows.map((row) => row.map(cell))]
        .map((row) => row.map(csvQuoted).join(","))
        .join("\n");
    case "tsv":
      return [names, ...answer.rows.map((row) => row.map(cell))]
        .map((row) =>
          row
            .map((value) =>
              value.replace(/[\t\n\\]/g, (c) => ({ "\t": "\\t", "\n": "\\n", "\\": "\\\\" })[c] ?? c),
            )
            .join("\t"),
        )
        .join("\n");
    case "table":
      return answer.rows.length === 0
        ? `(no rows; columns: ${names.join(", ")})`
        : table([names, ...answer.rows.map((row) => row.map(cell))]);
  }
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function csvQuoted(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
