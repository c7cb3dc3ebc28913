/**
 * WHERE clauses over bound parameters. Column names, parameter names and types come from the fixed
 * tables here; what a caller typed only ever travels as a `{name:Type}` parameter value.
 */
import type { Outcome } from "@tollgate/store";

export const OUTCOMES: readonly Outcome[] = ["allow", "deny", "rate_limited", "approval_required"];

/** The filters investigators narrow calls by. Times are epoch ms: `from` inclusive, `to` exclusive. */
export interface CallFilter {
  agent?: string;
  grant?: string;
  session?: string;
  server?: string;
  tool?: string;
  /** The decision's outcome. */
  decision?: Outcome;
  /** The rule that decided (a JSON path into the policy, e.g. `tools.k8s_pod_exec.limits[0]`). */
  rule?: string;
  from?: number;
  to?: number;
}

type Equality = Exclude<keyof CallFilter, "from" | "to">;

const COLUMN_OF: Record<Equality, string> = {
  agent: "agent",
  grant: "grant",
  session: "session_id",
  server: "server",
  tool: "tool",
  decision: "outcome",
  rule: "rule",
};

export class Where {
  readonly conditions: string[] = [];
  readonly params: Record<string, unknown> = {};

  /** A condition with no user value in it (a constant of the query's own). */
  fixed(condition: string): this {
    this.conditions.push(condition);
    return this;
  }

  /** A condition whose `{name:Type}` placeholders take these values. */
  bound(condition: string, params: Record<string, unknown>): this {
    this.conditions.push(condition);
    Object.assign(this.params, params);
    return this;
  }

  filter(filter: CallFilter): this {
    for (const key of Object.keys(COLUMN_OF) as Equality[]) {
      const value = filter[key];
      if (value !== undefined) this.bound(`${COLUMN_OF[key]} = {f_${key}:String}`, { [`f_${key}`]: value });
    }
    if (filter.from !== undefined)
      this.bound("time >= fromUnixTimestamp64Milli({f_from:Int64}, 'UTC')", {
        f_from: Math.trunc(filter.from),
      });
    if (filter.to !== undefined)
      this.bound("time < fromUnixTimestamp64Milli({f_to:Int64}, 'UTC')", { f_to: Math.trunc(filter.to) });
    return this;
  }

  get sql(): string {
    return this.conditions.length === 0 ? "" : `WHERE ${this.conditions.join(" AND ")}`;
  }
}

/** ClickHouse returns 64-bit integers as strings in JSON; every count passes through here. */
export function num(value: string | number | null | undefined): number {
  return value === null || value === undefined ? 0 : Number(value);
}
