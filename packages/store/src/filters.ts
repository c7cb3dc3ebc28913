/**
 * Filters as WHERE clauses over bound parameters. Column names and parameter types come from the
 * fixed table below; the caller's strings only ever travel as `{name:Type}` parameter values.
 */
import type { EventOfType, EventType } from "@tollgate/events";

export type Outcome = EventOfType<"call.decided">["payload"]["decision"]["outcome"];

export interface EventFilter {
  type?: EventType;
  /** Gateway instance. */
  instance?: string;
  agent?: string;
  /** Session id. */
  session?: string;
  /** Only call.decided events carry the tool. */
  tool?: string;
  /** Only call.decided events carry the outcome. */
  outcome?: Outcome;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
}

export interface Where {
  sql: string;
  params: Record<string, unknown>;
}

type Equality = Exclude<keyof EventFilter, "from" | "to">;

const COLUMN_OF: Record<Equality, string> = {
  type: "type",
  instance: "gateway_instance",
  agent: "agent",
  session: "session_id",
  tool: "tool",
  outcome: "outcome",
};

export function whereOf(filter: EventFilter = {}, fixed: readonly string[] = []): Where {
  const conditions = [...fixed];
  const params: Record<string, unknown> = {};
  for (const key of Object.keys(COLUMN_OF) as Equality[]) {
    const value = filter[key];
    if (value === undefined) continue;
    conditions.push(`${COLUMN_OF[key]} = {${key}:String}`);
    params[key] = value;
  }
  if (filter.from !== undefined) {
    conditions.push("time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')");
    params.from = epochMs(filter.from, "from");
  }
  if (filter.to !== undefined) {
    conditions.push("time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')");
    params.to = epochMs(filter.to, "to");
  }
  return { sql: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}

function epochMs(value: number, name: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be epoch milliseconds, not ${value}`);
  return Math.trunc(value);
}
