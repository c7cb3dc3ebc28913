/**
 * Sessions: one agent connection each, summarised from its events (within the time range when one
 * is given), most recently active first.
 */
import type { Store } from "@tollgate/store";
import { decodeCursor, pageOf } from "../cursor.js";
import type { Page } from "./calls.js";
import { num, Where } from "./where.js";

export interface SessionFilter {
  agent?: string;
  grant?: string;
  from?: number;
  to?: number;
}

export interface SessionSummary {
  session: string;
  agent: string;
  grant: string;
  /** Epoch ms of its first and last event. */
  firstAt: number;
  lastAt: number;
  /** Distinct calls decided. */
  calls: number;
  /** Decisions `deny`. */
  denials: number;
  /** Decisions `rate_limited`. */
  rateLimited: number;
  /** Calls held for a person's approval. */
  approvalsRequested: number;
  events: number;
}

interface Row {
  session_id: string;
  session_agent: string;
  session_grant: string;
  first_ms: string | number;
  last_ms: string | number;
  calls: string | number;
  denials: string | number;
  rate_limited: string | number;
  approvals: string | number;
  events: string | number;
}

export async function listSessions(
  store: Store,
  filter: SessionFilter,
  page: Page,
): Promise<{ sessions: SessionSummary[]; nextCursor?: string }> {
  const where = new Where().fixed("session_id != ''").filter(filter);
  const after = decodeCursor("sessions", page.cursor, ["number", "string"]);
  const having =
    after === undefined ? "" : "HAVING (last_ms, session_id) < ({c_last:Int64}, {c_session:String})";
  const rows = await store.select<Row>(
    `SELECT session_id, any(agent) AS session_agent, any(grant) AS session_grant,
            toUnixTimestamp64Milli(min(time)) AS first_ms, toUnixTimestamp64Milli(max(time)) AS last_ms,
            uniqExactIf(call_id, type = 'call.decided') AS calls,
            countIf(type = 'call.decided' AND outcome = 'deny') AS denials,
            countIf(type = 'call.decided' AND outcome = 'rate_limited') AS rate_limited,
            countIf(type = 'approval.requested') AS approvals,
            count() AS events
     FROM events FINAL ${where.sql}
     GROUP BY session_id ${having}
     ORDER BY last_ms DESC, session_id DESC
     LIMIT {limit:UInt32}`,
    {
      ...where.params,
      ...(after === undefined ? {} : { c_last: after[0], c_session: after[1] }),
      limit: page.limit + 1,
    },
  );
  const { page: found, nextCursor } = pageOf(
    rows,
    page.limit,
    (row) => [num(row.last_ms), row.session_id],
    "sessions",
  );
  return {
    sessions: found.map((row) => ({
      session: row.session_id,
      agent: row.session_agent,
      grant: row.session_grant,
      firstAt: num(row.first_ms),
      lastAt: num(row.last_ms),
      calls: num(row.calls),
      denials: num(row.denials),
      rateLimited: num(row.rate_limited),
      approvalsRequested: num(row.approvals),
      events: num(row.events),
    })),
    ...(nextCursor === undefined ? {} : { nextCursor }),
  };
}
