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
import { type EventFilter, whereOf } from "./filters.js";
import { CHAIN_ORDER, pagedEvents, TIME_ORDER } from "./pages.js";

export interface StoredEvent {
  id: string;
  /** The event's JSON exactly as it was inserted. */
  json: string;
}

export type CompletionStatus = EventOfType<"call.completed">["payload"]["status"];

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
