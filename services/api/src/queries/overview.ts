/** The overview: calls, denials and rate-limit hits over time, in buckets with no gaps. */
import type { Store } from "@tollgate/store";
import { badInput } from "../errors.js";
import { type CallFilter, num, Where } from "./where.js";

export const BUCKETS = ["minute", "hour", "day"] as const;
export type Bucket = (typeof BUCKETS)[number];

const BUCKET_MS: Record<Bucket, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** SQL for each bucket size: chosen from this table, never built from the request. */
const BUCKET_START: Record<Bucket, string> = {
  minute: "toStartOfMinute(time)",
  hour: "toStartOfHour(time)",
  day: "toStartOfDay(time)",
};
export const MAX_BUCKETS = 2000;
export const DEFAULT_OVERVIEW_MS = 86_400_000;

export interface OverviewPoint {
  /** Epoch ms of the bucket's start (UTC). */
  start: number;
  calls: number;
  denials: number;
  rateLimited: number;
  approvalsRequested: number;
}

export interface Overview {
  from: number;
  to: number;
  bucket: Bucket;
  totals: Omit<OverviewPoint, "start"> & { sessions: number; agents: number };
  series: OverviewPoint[];
}

/** The bucket that gives a readable series for a range: at most a few hundred points. */
export function bucketFor(rangeMs: number): Bucket {
  if (rangeMs <= 6 * BUCKET_MS.hour) return "minute";
  if (rangeMs <= 14 * BUCKET_MS.day) return "hour";
  return "day";
}

export async function overview(
  store: Store,
  filter: Omit<CallFilter, "from" | "to">,
  range: { from?: number; to?: number; bucket?: Bucket },
  now: number = Date.now(),
): Promise<Overview> {
  const to = range.to ?? now;
  const from = range.from ?? to - DEFAULT_OVERVIEW_MS;
  if (from >= to) throw badInput("from", "from must be before to");
  const bucket = range.bucket ?? bucketFor(to - from);
  const size = BUCKET_MS[bucket];
  const first = Math.floor(from / size) * size;
  const count = Math.ceil((to - first) / size);
  if (count > MAX_BUCKETS)
    throw badInput(
      "bucket",
      `${count} ${bucket} buckets is too many (at most ${MAX_BUCKETS}): use a larger bucket`,
    );
  const where = new Where().fixed("type = 'call.decided'").filter({ ...filter, from, to });
  const rows = await store.select<{
    start_ms: string | number;
    calls: string | number;
    denials: string | number;
    rate_limited: string | number;
    approvals: string | number;
  }>(
    `SELECT toUnixTimestamp64Milli(toDateTime64(${BUCKET_START[bucket]}, 3, 'UTC')) AS start_ms,
            uniqExact(call_id) AS calls, countIf(outcome = 'deny') AS denials,
            countIf(outcome = 'rate_limited') AS rate_limited, countIf(outcome = 'approval_required') AS approvals
     FROM events FINAL ${where.sql}
     GROUP BY start_ms ORDER BY start_ms`,
    where.params,
  );
  const [totals] = await store.select<{
    calls: string | number;
    denials: string | number;
    rate_limited: string | number;
    approvals: string | number;
    sessions: string | number;
    agents: string | number;
  }>(
    `SELECT uniqExact(call_id) AS calls, countIf(outcome = 'deny') AS denials,
            countIf(outcome = 'rate_limited') AS rate_limited, countIf(outcome = 'approval_required') AS approvals,
            uniqExact(session_id) AS sessions, uniqExact(agent) AS agents
     FROM events FINAL ${where.sql}`,
    where.params,
  );
  const byStart = new Map(rows.map((row) => [num(row.start_ms), row]));
  const series: OverviewPoint[] = [];
  for (let i = 0; i < count; i++) {
    const start = first + i * size;
    const row = byStart.get(start);
    series.push({
      start,
      calls: num(row?.calls),
      denials: num(row?.denials),
      rateLimited: num(row?.rate_limited),
      approvalsRequested: num(row?.approvals),
    });
  }
  return {
    from,
    to,
    bucket,
    totals: {
      calls: num(totals?.calls),
      denials: num(totals?.denials),
      rateLimited: num(totals?.rate_limited),
      approvalsRequested: num(totals?.approvals),
      sessions: num(totals?.sessions),
      agents: num(totals?.agents),
    },
    series,
  };
}
