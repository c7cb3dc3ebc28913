/**
 * Recorded calls from the store, fast: the columns migration 3 added instead of each event's JSON,
 * as TabSeparated text parsed by hand, one time slice per query so memory stays bounded whatever
 * the window. Slices follow an hourly histogram and are fetched one ahead of the decider.
 *
 * No FINAL: a duplicated row (at-least-once ingest before a merge) has the same time, instance and
 * sequence, so it sorts next to its twin and is skipped there — cheaper than merging at read time.
 */
import type { Store } from "@tollgate/store";
import type { RecordedCall, RecordedShadow, RecordedVerdict, ReplayWindow } from "../recorded.js";
import type { ReplaySource } from "../report.js";
import type { CallSource } from "../run.js";
import { unescapeField } from "./tsv.js";

/** Rows per query: about 40 MB of text at most, read while the previous slice is decided. */
export const SLICE_ROWS = 250_000;

const HOUR = 3_600_000;
const RANGE = `type = 'call.decided'
  AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
/** Server and tool joined for `has`; the separator cannot be confused in a way that loses data. */
const TOOL_KEY = "concat(server, '\\x1f', tool)";

const CALLS = `SELECT event_id, call_id, gateway_instance, chain_seq, decided_at, session_id, agent, grant, server, tool,
  outcome, rule, basis, shadow_outcome, shadow_rule, approval, policy_digest, notEmpty(redacted),
  startsWith(arguments, '{'), if(has({argumentTools:Array(String)}, ${TOOL_KEY}), arguments, '')
FROM events WHERE ${RANGE}
ORDER BY time, gateway_instance, chain_seq, event_id`;

export function storeSource(store: Store): CallSource {
  return {
    describe(): ReplaySource {
      const where = store.target.kind === "http" ? store.target.url : `chDB ${store.target.path}`;
      return { kind: "clickhouse", detail: `${where}: events where type = 'call.decided', by time slice` };
    },
    calls: (range, readsArguments) => storeCalls(store, range, readsArguments),
    async policyNames() {
      const rows = await store.select<{ digest: string; name: string }>(
        `SELECT JSONExtractString(event_json, 'payload', 'digest') AS digest,
                any(JSONExtractString(event_json, 'payload', 'name')) AS name
         FROM events WHERE type = 'policy.loaded' GROUP BY digest`,
      );
      return new Map(rows.map((row) => [row.digest, row.name]));
    },
  };
}

async function* storeCalls(
  store: Store,
  range: ReplayWindow,
  readsArguments: (server: string, tool: string) => boolean,
): AsyncIterable<RecordedCall[]> {
  const argumentTools = await toolsWithArguments(store, range, readsArguments);
  const slices = await slicesOf(store, range);
  const fetch = (slice: ReplayWindow) =>
    store.selectText(CALLS, { from: slice.from, to: slice.to, argumentTools });
  let next = slices[0] === undefined ? undefined : fetch(slices[0]);
  for (let index = 0; next !== undefined; index += 1) {
    const text = await next;
    const following = slices[index + 1];
    next = following === undefined ? undefined : fetch(following);
    yield parseCalls(text);
  }
}

async function toolsWithArguments(
  store: Store,
  range: ReplayWindow,
  readsArguments: (server: string, tool: string) => boolean,
): Promise<string[]> {
  const tools = await store.select<{ server: string; tool: string }>(
    `SELECT DISTINCT server, tool FROM events WHERE ${RANGE}`,
    { from: range.from, to: range.to },
  );
  return tools
    .filter((row) => readsArguments(row.server, row.tool))
    .map((row) => `${row.server}\x1f${row.tool}`);
}

/** Consecutive hours grouped up to SLICE_ROWS; a busier hour is split by its minutes. */
async function slicesOf(store: Store, range: ReplayWindow): Promise<ReplayWindow[]> {
  const hours = await histogram(store, range, "toStartOfHour");
  const slices: ReplayWindow[] = [];
  let open: { from: number; rows: number } | undefined;
  for (const hour of hours) {
    const start = Math.max(range.from, hour.start);
    const end = Math.min(range.to, hour.start + HOUR);
    if (hour.rows > SLICE_ROWS) {
      if (open !== undefined) slices.push({ from: open.from, to: start });
      open = undefined;
      slices.push(...(await minuteSlices(store, { from: start, to: end })));
      continue;
    }
    if (open !== undefined && open.rows + hour.rows > SLICE_ROWS) {
      slices.push({ from: open.from, to: start });
      open = undefined;
    }
    open =
      open === undefined
        ? { from: start, rows: hour.rows }
        : { from: open.from, rows: open.rows + hour.rows };
  }
  if (open !== undefined) slices.push({ from: open.from, to: range.to });
  return slices;
}

async function minuteSlices(store: Store, hour: ReplayWindow): Promise<ReplayWindow[]> {
  const minutes = await histogram(store, hour, "toStartOfMinute");
  const slices: ReplayWindow[] = [];
  let from = hour.from;
  let rows = 0;
  for (const minute of minutes) {
    const start = Math.max(hour.from, minute.start);
    if (rows > 0 && rows + minute.rows > SLICE_ROWS) {
      slices.push({ from, to: start });
      from = start;
      rows = 0;
    }
    rows += minute.rows;
  }
  slices.push({ from, to: hour.to });
  return slices;
}

async function histogram(
  store: Store,
  range: ReplayWindow,
  bucket: "toStartOfHour" | "toStartOfMinute",
): Promise<{ start: number; rows: number }[]> {
  const rows = await store.select<{ start: string | number; rows: string | number }>(
    `SELECT toUnixTimestamp64Milli(toDateTime64(${bucket}(time), 3, 'UTC')) AS start, count() AS rows
     FROM events WHERE ${RANGE} GROUP BY start ORDER BY start`,
    { from: range.from, to: range.to },
  );
  return rows.map((row) => ({ start: Number(row.start), rows: Number(row.rows) }));
}

export function parseCalls(text: string): RecordedCall[] {
  const calls: RecordedCall[] = [];
  let previousId = "";
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const fields = text.slice(start, end).split("\t");
    start = end + 1;
    if (fields.length !== 20)
      throw new Error(`replay: a stored call has ${fields.length} columns, expected 20`);
    const eventId = fields[0] as string;
    if (eventId === previousId) continue;
    previousId = eventId;
    calls.push(callOf(fields));
  }
  return calls;
}

function callOf(fields: string[]): RecordedCall {
  const argumentsJson = fields[19] as string;
  return {
    eventId: fields[0] as string,
    callId: unescapeField(fields[1] as string),
    instance: unescapeField(fields[2] as string),
    seq: Number(fields[3]),
    at: Number(fields[4]),
    session: unescapeField(fields[5] as string),
    agent: unescapeField(fields[6] as string),
    grant: unescapeField(fields[7] as string),
    server: unescapeField(fields[8] as string),
    tool: unescapeField(fields[9] as string),
    recorded: verdictOf(fields[10] as string, fields[11] as string, fields[12] as string),
    recordedShadow: shadowOf(fields[13] as string, fields[14] as string),
    approved: fields[15] === "granted",
    digest: fields[16] as string,
    redacted: fields[17] === "1",
    argumentsAreObject: fields[18] === "1",
    argumentsJson: argumentsJson === "" ? undefined : unescapeField(argumentsJson),
  };
}

function verdictOf(outcome: string, rule: string, basis: string): RecordedVerdict {
  return {
    outcome: outcome as RecordedVerdict["outcome"],
    rule: unescapeField(rule),
    basis: basis as RecordedVerdict["basis"],
  };
}

function shadowOf(outcome: string, rule: string): RecordedShadow | undefined {
  if (outcome === "") return undefined;
  return { outcome: outcome as RecordedShadow["outcome"], rule: unescapeField(rule) };
}
