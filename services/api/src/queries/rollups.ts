/**
 * Rollups: how many calls, and how many refused, per tool, per agent and per hour; which limits
 * tripped; and who approved or denied held calls. All over the same filters as the call list.
 */
import type { Store } from "@tollgate/store";
import { type CallFilter, num, Where } from "./where.js";

export interface DecisionCounts {
  /** Distinct calls decided. */
  calls: number;
  allowed: number;
  denials: number;
  rateLimited: number;
  approvalsRequested: number;
}

export interface ToolRollup extends DecisionCounts {
  server: string;
  tool: string;
}

export interface AgentRollup extends DecisionCounts {
  agent: string;
  grants: string[];
  sessions: number;
}

export interface HourRollup extends DecisionCounts {
  /** Epoch ms of the hour's start (UTC). */
  hour: number;
}

export interface RateLimitRollup {
  /** The limit that tripped (a JSON path into the policy). */
  rule: string;
  counter: string;
  scope: string;
  max: number;
  windowMs: number;
  hits: number;
  agents: string[];
  firstAt: number;
  lastAt: number;
}

export interface ApprovalRollup {
  resolution: string;
  /** Who resolved them; "" for time-outs. */
  by: string;
  count: number;
  lastAt: number;
}

/**
 * Counted over decisions: a held call that was later approved has two (approval_required, then
 * allow), so `calls` counts distinct call ids while each outcome counts its decisions.
 */
const COUNTS = `uniqExact(call_id) AS calls,
  countIf(outcome = 'allow') AS allowed,
  countIf(outcome = 'deny') AS denials,
  countIf(outcome = 'rate_limited') AS rate_limited,
  countIf(outcome = 'approval_required') AS approvals`;

interface CountRow {
  calls: string | number;
  allowed: string | number;
  denials: string | number;
  rate_limited: string | number;
  approvals: string | number;
}

function counts(row: CountRow): DecisionCounts {
  return {
    calls: num(row.calls),
    allowed: num(row.allowed),
    denials: num(row.denials),
    rateLimited: num(row.rate_limited),
    approvalsRequested: num(row.approvals),
  };
}

export const ROLLUP_LIMIT = 1000;

export async function rollupTools(store: Store, filter: CallFilter): Promise<ToolRollup[]> {
  const where = new Where().fixed("type = 'call.decided'").filter(filter);
  const rows = await store.select<CountRow & { server: string; tool: string }>(
    `SELECT server, tool, ${COUNTS} FROM events FINAL ${where.sql}
     GROUP BY server, tool ORDER BY calls DESC, server, tool LIMIT ${ROLLUP_LIMIT}`,
    where.params,
  );
  return rows.map((row) => ({ server: row.server, tool: row.tool, ...counts(row) }));
}

export async function rollupAgents(store: Store, filter: CallFilter): Promise<AgentRollup[]> {
  const where = new Where().fixed("type = 'call.decided'").filter(filter);
  const rows = await store.select<CountRow & { agent: string; grants: string[]; sessions: string | number }>(
    `SELECT agent, arraySort(groupUniqArray(grant)) AS grants, uniqExact(session_id) AS sessions, ${COUNTS}
     FROM events FINAL ${where.sql}
     GROUP BY agent ORDER BY calls DESC, agent LIMIT ${ROLLUP_LIMIT}`,
    where.params,
  );
  return rows.map((row) => ({
    agent: row.agent,
    grants: row.grants,
    sessions: num(row.sessions),
    ...counts(row),
  }));
}

export async function rollupHours(store: Store, filter: CallFilter): Promise<HourRollup[]> {
  const where = new Where().fixed("type = 'call.decided'").filter(filter);
  const rows = await store.select<CountRow & { hour_ms: string | number }>(
    `SELECT toUnixTimestamp64Milli(toDateTime64(toStartOfHour(time), 3, 'UTC')) AS hour_ms, ${COUNTS}
     FROM events FINAL ${where.sql}
     GROUP BY hour_ms ORDER BY hour_ms LIMIT 10000`,
    where.params,
  );
  return rows.map((row) => ({ hour: num(row.hour_ms), ...counts(row) }));
}

/**
 * A rate-limited decision's rule is the limit that tripped; its counter is the one among the
 * decision's counters whose `limit` is that rule.
 */
export async function rollupRateLimits(store: Store, filter: CallFilter): Promise<RateLimitRollup[]> {
  const where = new Where().fixed("type = 'call.decided'").fixed("outcome = 'rate_limited'").filter(filter);
  const rows = await store.select<{
    rule: string;
    counter: string;
    scope: string;
    max: string | number;
    window_ms: string | number;
    hits: string | number;
    agents: string[];
    first_ms: string | number;
    last_ms: string | number;
  }>(
    `SELECT rule, JSONExtractString(tripped, 'counter') AS counter, JSONExtractString(tripped, 'scope') AS scope,
            JSONExtractUInt(tripped, 'max') AS max, JSONExtractUInt(tripped, 'windowMs') AS window_ms,
            count() AS hits, arraySort(groupUniqArray(agent)) AS agents,
            toUnixTimestamp64Milli(min(time)) AS first_ms, toUnixTimestamp64Milli(max(time)) AS last_ms
     FROM (
       SELECT rule, agent, time,
              arrayFirst(c -> JSONExtractString(c, 'limit') = rule,
                         JSONExtractArrayRaw(event_json, 'payload', 'decision', 'counters')) AS tripped
       FROM events FINAL ${where.sql}
     )
     GROUP BY rule, counter, scope, max, window_ms
     ORDER BY hits DESC, rule LIMIT ${ROLLUP_LIMIT}`,
    where.params,
  );
  return rows.map((row) => ({
    rule: row.rule,
    counter: row.counter,
    scope: row.scope,
    max: num(row.max),
    windowMs: num(row.window_ms),
    hits: num(row.hits),
    agents: row.agents,
    firstAt: num(row.first_ms),
    lastAt: num(row.last_ms),
  }));
}

/** Approval requests, and their resolutions by who gave them (`by` lives only in the event JSON). */
export async function rollupApprovals(
  store: Store,
  filter: Omit<CallFilter, "server" | "tool" | "decision" | "rule">,
): Promise<{ requested: number; resolved: ApprovalRollup[] }> {
  const requested = new Where().fixed("type = 'approval.requested'").filter(filter);
  const resolved = new Where().fixed("type = 'approval.resolved'").filter(filter);
  const [count] = await store.select<{ n: string | number }>(
    `SELECT count() AS n FROM events FINAL ${requested.sql}`,
    requested.params,
  );
  const rows = await store.select<{
    resolution: string;
    by: string;
    n: string | number;
    last_ms: string | number;
  }>(
    `SELECT status AS resolution, JSONExtractString(event_json, 'payload', 'by') AS by, count() AS n,
            toUnixTimestamp64Milli(max(time)) AS last_ms
     FROM events FINAL ${resolved.sql}
     GROUP BY resolution, by ORDER BY n DESC, resolution, by LIMIT ${ROLLUP_LIMIT}`,
    resolved.params,
  );
  return {
    requested: num(count?.n),
    resolved: rows.map((row) => ({
      resolution: row.resolution,
      by: row.by,
      count: num(row.n),
      lastAt: num(row.last_ms),
    })),
  };
}
