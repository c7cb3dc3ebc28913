/**
 * The store's reads. Every one reads `events FINAL`: ReplacingMergeTree collapses a duplicated
 * event_id only when parts merge, which may be never for a small table, and FINAL merges at read
 * time so a duplicate is exactly one row in every answer. FINAL rather than `LIMIT 1 BY event_id` or
 * argMax: duplicates are identical rows, so any one of them is right; FINAL needs no per-column
 * rewrite, keeps ORDER BY/LIMIT plain, and works partition by partition (the partition key is a
 * function of `time`, which is in the sorting key, so duplicates never straddle partitions).
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { type EventOfType, parseEvent, type TollgateEvent } from "@tollgate/events";
import { type EventFilter, type Outcome, whereOf } from "./filters.js";
import { CHAIN_ORDER, pagedEvents, TIME_ORDER } from "./pages.js";

export interface StoredEvent {
  id: string;
  /** The event's JSON exactly as it was inserted. */
  json: string;
}

export type CompletionStatus = EventOfType<"call.completed">["payload"]["status"];

export interface CallQuery {
  agent?: string;
  session?: string;
  tool?: string;
  outcome?: Outcome;
  /** Epoch ms of the decision, inclusive. */
  from?: number;
  /** Epoch ms of the decision, exclusive. */
  to?: number;
  limit: number;
}

/** One call: its decision, and its completion when that has been stored. Newest first. */
export interface CallRecord {
  callId: string;
  /** The call.decided event's id. */
  eventId: string;
  time: number;
  instance: string;
  agent: string;
  session: string;
  grant: string;
  server: string;
  tool: string;
  outcome: Outcome;
  rule: string;
  basis: string;
  reason: string;
  status?: CompletionStatus;
  latencyMs?: number;
}

const MAX_LIMIT = 100_000;

export async function countEvents(client: ClickHouseClient, filter?: EventFilter): Promise<number> {
  const where = whereOf(filter);
  const [row] = await rows<{ n: string | number }>(
    client,
    `SELECT count() AS n FROM events FINAL ${where.sql}`,
    where.params,
  );
  return Number(row?.n ?? 0);
}

export async function eventIds(client: ClickHouseClient, filter?: EventFilter): Promise<string[]> {
  const where = whereOf(filter);
  const found = await rows<{ event_id: string }>(
    client,
    `SELECT event_id FROM events FINAL ${where.sql} ORDER BY time, gateway_instance, chain_seq, event_id`,
    where.params,
  );
  return found.map((row) => row.event_id);
}

export async function readEvents(
  client: ClickHouseClient,
  filter: EventFilter & { limit?: number } = {},
): Promise<StoredEvent[]> {
  const { limit, ...where } = filter;
  const found = await pagedEvents(
    client,
    where,
    TIME_ORDER,
    limit === undefined ? undefined : checkLimit(limit),
  );
  return found.map((row) => ({ id: row.event_id, json: row.event_json }));
}

/** All events of one gateway instance in chain order, parsed: what `verifyChains` checks. */
export async function eventsOfInstance(client: ClickHouseClient, instance: string): Promise<TollgateEvent[]> {
  const found = await pagedEvents(client, { instance }, CHAIN_ORDER);
  return found.map((row) => {
    const parsed = parseEvent(row.event_json);
    if (parsed.ok) return parsed.event;
    throw new Error(`stored event ${row.event_id} of instance '${instance}' does not parse: ${parsed.error}`);
  });
}

/** The gateway instances that have events in the store: each has its own hash chain to verify. */
export async function instances(client: ClickHouseClient): Promise<string[]> {
  const found = await rows<{ instance: string }>(
    client,
    "SELECT DISTINCT gateway_instance AS instance FROM events FINAL ORDER BY instance",
    {},
  );
  return found.map((row) => row.instance);
}

export async function callsOf(client: ClickHouseClient, query: CallQuery): Promise<CallRecord[]> {
  const { limit, ...filter } = query;
  const where = whereOf(filter, ["type = 'call.decided'"]);
  // The completion has no tool or agent of its own: it is found by the decided call's id.
  const found = await rows<CallRow>(
    client,
    `WITH decided AS (
       SELECT event_id, call_id, time, gateway_instance, agent, session_id, grant, server, tool,
              outcome, rule, basis, reason
       FROM events FINAL ${where.sql}
       ORDER BY time DESC, event_id DESC LIMIT {limit:UInt32}
     )
     SELECT d.event_id AS event_id, d.call_id AS call_id, toUnixTimestamp64Milli(d.time) AS time_ms,
            d.gateway_instance AS instance, d.agent AS agent, d.session_id AS session_id,
            d.grant AS grant, d.server AS server, d.tool AS tool, d.outcome AS outcome,
            d.rule AS rule, d.basis AS basis, d.reason AS reason, c.status AS status,
            c.latency_ms AS latency_ms
     FROM decided AS d
     LEFT JOIN (
       SELECT call_id, any(status) AS status, any(latency_ms) AS latency_ms
       FROM events FINAL
       WHERE type = 'call.completed' AND call_id IN (SELECT call_id FROM decided)
       GROUP BY call_id
     ) AS c ON c.call_id = d.call_id
     ORDER BY d.time DESC, d.event_id DESC`,
    { ...where.params, limit: checkLimit(limit) },
  );
  return found.map(callRecord);
}

interface CallRow {
  event_id: string;
  call_id: string;
  time_ms: string | number;
  instance: string;
  agent: string;
  session_id: string;
  grant: string;
  server: string;
  tool: string;
  outcome: Outcome;
  rule: string;
  basis: string;
  reason: string;
  status: string;
  latency_ms: number | null;
}

function callRecord(row: CallRow): CallRecord {
  const record: CallRecord = {
    callId: row.call_id,
    eventId: row.event_id,
    time: Number(row.time_ms),
    instance: row.instance,
    agent: row.agent,
    session: row.session_id,
    grant: row.grant,
    server: row.server,
    tool: row.tool,
    outcome: row.outcome,
    rule: row.rule,
    basis: row.basis,
    reason: row.reason,
  };
  // '' is the LEFT JOIN's default for a call whose completion is not stored (yet).
  if (row.status !== "") record.status = row.status as CompletionStatus;
  if (row.latency_ms !== null) record.latencyMs = row.latency_ms;
  return record;
}

function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new RangeError(`limit must be a whole number from 1 to ${MAX_LIMIT}, not ${limit}`);
  }
  return limit;
}

async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: "JSONEachRow" });
  return result.json<T>();
}
