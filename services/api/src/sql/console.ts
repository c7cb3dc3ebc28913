/**
 * The read-only SQL console: a checked statement (guard.ts), run with a row cap and a time cap, its
 * result as columns and rows. Over a ClickHouse server the query also says `readonly = 1`, so the
 * server itself refuses anything that would write, whatever the guard let through.
 */
import type { Store } from "@tollgate/store";
import {
  type CheckedStatement,
  checkStatement,
  clickhouseMessage,
  SqlRefused,
  type StatementKind,
} from "./guard.js";

export const DEFAULT_SQL_ROWS = 1000;
export const MAX_SQL_ROWS = 10_000;
export const SQL_TIMEOUT_SECONDS = 30;

export interface SqlColumn {
  name: string;
  type: string;
}

export interface SqlResult {
  kind: StatementKind;
  /** ClickHouse's canonical text of the statement, as it ran (without the console's limits). */
  statement: string;
  columns: SqlColumn[];
  rows: unknown[][];
  /** More rows than `limit` were available; only the first `limit` are here. */
  truncated: boolean;
}

export interface SqlOptions {
  limit?: number;
  timeoutSeconds?: number;
}

export class SqlConsole {
  private tableFunctions: Promise<ReadonlySet<string>> | undefined;

  constructor(private readonly store: Store) {}

  async run(text: string, options: SqlOptions = {}): Promise<SqlResult> {
    const limit = options.limit ?? DEFAULT_SQL_ROWS;
    const statement = await checkStatement(this.store, text, () => this.knownTableFunctions());
    const columns = statement.kind === "select" ? await this.columnsOf(statement) : undefined;
    let objects: Record<string, unknown>[];
    try {
      const rows = await this.store.select<unknown>(this.limited(statement, limit, options));
      // The embedded engine answers EXPLAIN with bare strings where a server sends {explain}.
      objects = rows.map((row) =>
        typeof row === "object" && row !== null ? (row as Record<string, unknown>) : { explain: row },
      );
    } catch (error) {
      throw new SqlRefused(`ClickHouse refused the statement: ${clickhouseMessage(error)}`);
    }
    const names = columns ?? Object.keys(objects[0] ?? {}).map((name) => ({ name, type: "" }));
    const truncated = objects.length > limit;
    return {
      kind: statement.kind,
      statement: statement.sql,
      columns: names,
      rows: objects.slice(0, limit).map((row) => names.map((column) => row[column.name] ?? null)),
      truncated,
    };
  }

  /**
   * `limit` caps only the outermost result (a subquery's rows are all used), `max_execution_time`
   * the whole query. Only a SELECT takes a SETTINGS clause; SHOW, DESCRIBE and EXPLAIN read
   * metadata, not data.
   */
  private limited(statement: CheckedStatement, limit: number, options: SqlOptions): string {
    if (statement.kind !== "select") return statement.sql;
    const seconds = options.timeoutSeconds ?? SQL_TIMEOUT_SECONDS;
    const settings = [
      ...(this.store.target.kind === "http" ? ["readonly = 1"] : []),
      `limit = ${Math.trunc(limit) + 1}`,
      `max_execution_time = ${Math.trunc(seconds)}`,
      "timeout_overflow_mode = 'throw'",
    ];
    return `${statement.sql}\nSETTINGS ${settings.join(", ")}`;
  }

  /** Names and types in the statement's order (a JSON object would reorder numeric names). */
  private async columnsOf(statement: CheckedStatement): Promise<SqlColumn[] | undefined> {
    try {
      const described = await this.store.select<SqlColumn>(`DESCRIBE (${statement.sql})`);
      return described.map(({ name, type }) => ({ name, type }));
    } catch (error) {
      throw new SqlRefused(`ClickHouse refused the statement: ${clickhouseMessage(error)}`);
    }
  }

  /** Table functions that are not also ordinary functions (`file` and `format` are both). */
  private knownTableFunctions(): Promise<ReadonlySet<string>> {
    this.tableFunctions ??= this.store
      .select<{ name: string }>(
        "SELECT name FROM system.table_functions WHERE name NOT IN (SELECT name FROM system.functions)",
      )
      .then((rows) => new Set(rows.map((row) => row.name.toLowerCase())))
      .catch((error: unknown) => {
        this.tableFunctions = undefined;
        throw error;
      });
    return this.tableFunctions;
  }
}
