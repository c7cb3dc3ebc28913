/**
 * Reading many events in pages along the order they are returned in (keyset paging): no single
 * result holds more than one page of JSON. The embedded engine hands a whole result over as one
 * buffer, so an unpaged read of a million events held about three copies of a gigabyte at once.
 */
import type { ClickHouseClient } from "@clickhouse/client";
import { type EventFilter, whereOf } from "./filters.js";

export const PAGE_ROWS = 10_000;

export interface PagedRow {
  event_id: string;
  event_json: string;
  time_ms: string | number;
  gateway_instance: string;
  chain_seq: string | number;
}

/** One column of the order, and how the last row's value is bound to continue after it. */
interface KeyColumn {
  column: string;
  param: string;
  bound: string;
  value(row: PagedRow): unknown;
}

const TIME: KeyColumn = {
  column: "time",
  param: "after_time",
  bound: "fromUnixTimestamp64Milli({after_time:Int64}, 'UTC')",
  value: (row) => Number(row.time_ms),
};
const INSTANCE: KeyColumn = {
  column: "gateway_instance",
  param: "after_instance",
  bound: "{after_instance:String}",
  value: (row) => row.gateway_instance,
};
const SEQ: KeyColumn = {
  column: "chain_seq",
  param: "after_seq",
  bound: "{after_seq:UInt64}",
  value: (row) => Number(row.chain_seq),
};
const ID: KeyColumn = {
  column: "event_id",
  param: "after_id",
  bound: "{after_id:UUID}",
  value: (row) => row.event_id,
};

/** Time order, ties in chain order: a stable total order (event_id last). */
export const TIME_ORDER: readonly KeyColumn[] = [TIME, INSTANCE, SEQ, ID];
/** One instance's chain order. */
export const CHAIN_ORDER: readonly KeyColumn[] = [SEQ, ID];

export async function pagedEvents(
  client: ClickHouseClient,
  filter: EventFilter,
  order: readonly KeyColumn[],
  limit = Number.POSITIVE_INFINITY,
): Promise<PagedRow[]> {
  const found: PagedRow[] = [];
  let last: PagedRow | undefined;
  while (found.length < limit) {
    const page = Math.min(PAGE_ROWS, limit - found.length);
    const rows = await readPage(client, filter, order, last, page);
    for (const row of rows) found.push(row);
    if (rows.length < page) break;
    last = rows.at(-1);
  }
  return found;
}

async function readPage(
  client: ClickHouseClient,
  filter: EventFilter,
  order: readonly KeyColumn[],
  last: PagedRow | undefined,
  page: number,
): Promise<PagedRow[]> {
  const columns = order.map((key) => key.column).join(", ");
  const [first] = order;
  const after =
    last === undefined || first === undefined
      ? []
      : [
          // The tuple says where to continue; the plain bound on the leading column is what lets
          // partition pruning and the minmax indexes skip what earlier pages already read.
          `${first.column} >= ${first.bound}`,
          `(${columns}) > (${order.map((key) => key.bound).join(", ")})`,
        ];
  const where = whereOf(filter, after);
  const params: Record<string, unknown> = { ...where.params, page };
  if (last !== undefined) for (const key of order) params[key.param] = key.value(last);
  const result = await client.query({
    query: `SELECT event_id, event_json, toUnixTimestamp64Milli(time) AS time_ms, gateway_instance, chain_seq
            FROM events FINAL ${where.sql} ORDER BY ${columns} LIMIT {page:UInt32}`,
    query_params: params,
    format: "JSONEachRow",
  });
  return result.json<PagedRow>();
}
