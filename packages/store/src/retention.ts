/**
 * Retention is an option, not a migration: the events table is created with the default TTL and
 * moved to the configured one at open, so changing `retentionDays` needs no new migration.
 */
import type { ClickHouseClient } from "@clickhouse/client";

const MAX_RETENTION_DAYS = 36_500;

export function checkRetentionDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
    throw new RangeError(`retentionDays must be a whole number from 1 to ${MAX_RETENTION_DAYS}, not ${days}`);
  }
  return days;
}

export async function currentRetentionDays(client: ClickHouseClient): Promise<number | undefined> {
  const result = await client.query({
    query: `SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'`,
    format: "JSONEachRow",
  });
  const [row] = await result.json<{ engine_full: string }>();
  const days = row?.engine_full.match(/TTL toDateTime\(time\) \+ toIntervalDay\((\d+)\)/)?.[1];
  return days === undefined ? undefined : Number(days);
}

export async function applyRetention(client: ClickHouseClient, days: number): Promise<void> {
  checkRetentionDays(days);
  if ((await currentRetentionDays(client)) === days) return;
  // `days` is a checked integer, not caller text: DDL takes no bound parameters.
  await client.command({ query: `ALTER TABLE events MODIFY TTL toDateTime(time) + INTERVAL ${days} DAY` });
}
