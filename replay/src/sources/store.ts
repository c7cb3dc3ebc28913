/**
 * Recorded calls from the store, fast. Per time slice (an hourly histogram, at most SLICE_ROWS
 * rows, fetched one ahead of the decider) two queries:
 * - every call, with what repeats across calls (instance, identity, tool, recorded decision,
 *   policy) folded into one hash of a "profile" fetched once per slice, so each row is a few
 *   numbers and a session id as TabSeparated text;
 * - the few calls that need more: arguments of tools a policy checks, call ids of held calls.
 * Neither is sorted by ClickHouse (sorting wide rows cost more than everything else together):
 * each instance's chain sequence numbers are dense, so rows are placed by sequence number, which
 * also drops a duplicated row (at-least-once ingest before a merge) onto its twin. No FINAL.
 */
import type { Store } from "@tollgate/store";
import type { RecordedCall, RecordedShadow, RecordedVerdict, ReplayWindow } from "../recorded.js";
import type { ReplaySource } from "../report.js";
import { type CallSource, locatorKey } from "../run.js";
import { unescapeField } from "./tsv.js";

/** Rows per slice: bounded memory whatever the window. */
export const SLICE_ROWS = 250_000;

const HOUR = 3_600_000;
const RANGE = `type = 'call.decided'
  AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
const PROFILE_COLUMNS =
  "gateway_instance, agent, grant, server, tool, outcome, rule, basis, shadow_outcome, shadow_rule, approval, policy_digest";
const PROFILE = `cityHash64(${PROFILE_COLUMNS})`;
/** Server and tool joined for `has`; a false match only fetches arguments nobody needed. */
const TOOL_KEY = "concat(server, '\\x1f', tool)";

const PROFILES = `SELECT ${PROFILE} AS profile, ${PROFILE_COLUMNS}
FROM events WHERE ${RANGE} GROUP BY profile, ${PROFILE_COLUMNS}`;
const CALLS = `SELECT ${PROFILE}, chain_seq, decided_at, session_id, notEmpty(redacted) * 2 + arguments_object
FROM events WHERE ${RANGE}`;
const DETAILS = `SELECT gateway_instance, chain_seq, if(outcome = 'approval_required' OR approval != '', call_id, ''),
  if(has({argumentTools:Array(String)}, ${TOOL_KEY}), arguments, '')
FROM events WHERE ${RANGE} AND (outcome = 'approval_required' OR approval != '' OR has({argumentTools:Array(String)}, ${TOOL_KEY}))`;

interface Profile {
  instance: string;
  agent: string;
  grant: string;
  server: string;
  tool: string;
  recorded: RecordedVerdict;
  recordedShadow: RecordedShadow | undefined;
  approved: boolean;
  digest: string;
  /** Whether its calls have a row in the details query (arguments or call id). */
  detailed: boolean;
}

interface Slice {
  profiles: string;
  calls: string;
  details: string;
}

export function storeSource(store: Store): CallSource {
  return {
    describe(): ReplaySource {
      const where = store.target.kind === "http" ? store.target.url : `chDB ${store.target.path}`;
      return { kind: "clickhouse", detail: `${where}: events where type = 'call.decided', by time slice` };
    },
    calls: (range, readsArguments) => storeCalls(store, range, readsArguments),
    async eventIds(calls, range) {
      const rows = await store.select<{ instance: string; seq: string | number; id: string }>(
        `SELECT gateway_instance AS instance, chain_seq AS seq, any(event_id) AS id FROM events
         WHERE ${RANGE} AND has({keys:Array(String)}, concat(gateway_instance, '\\x1f', toString(chain_seq)))
         GROUP BY instance, seq`,
        { from: range.from, to: range.to, keys: calls.map(locatorKey) },
      );
      return new Map(
        rows.map((row) => [locatorKey({ instance: row.instance, seq: Number(row.seq) }), row.id]),
      );
    },
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
  const toolSet = new Set(argumentTools);
  const slices = await slicesOf(store, range);
  const fetch = async (slice: ReplayWindow): Promise<Slice> => {
    const params = { from: slice.from, to: slice.to, argumentTools };
    const [profiles, calls, details] = await Promise.all([
      store.selectText(PROFILES, params),
      store.selectText(CALLS, params),
      store.selectText(DETAILS, params),
    ]);
    return { profiles, calls, details };
  };
  let next = slices[0] === undefined ? undefined : fetch(slices[0]);
  for (let index = 0; next !== undefined; index += 1) {
    const slice = await next;
    const following = slices[index + 1];
    next = following === undefined ? undefined : fetch(following);
    yield* assemble(slice, toolSet);
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

/** One batch per instance, each in chain order. */
function assemble(slice: Slice, argumentTools: ReadonlySet<string>): RecordedCall[][] {
  const profiles = parseProfiles(slice.profiles, argumentTools);
  const details = parseDetails(slice.details);
  const byInstance = new Map<string, RecordedCall[]>();
  forEachLine(slice.calls, (line) => {
    const call = callOf(line, profiles, details);
    let calls = byInstance.get(call.instance);
    if (calls === undefined) {
      calls = [];
      byInstance.set(call.instance, calls);
    }
    calls.push(call);
  });
  return [...byInstance.values()].map(inChainOrder);
}

/** Places calls by sequence number (dense per instance): linear, and twins collapse. */
function inChainOrder(calls: RecordedCall[]): RecordedCall[] {
  let lowest = Number.POSITIVE_INFINITY;
  let highest = 0;
  for (const call of calls) {
    if (call.seq < lowest) lowest = call.seq;
    if (call.seq > highest) highest = call.seq;
  }
  const slots: (RecordedCall | undefined)[] = new Array(highest - lowest + 1);
  for (const call of calls) slots[call.seq - lowest] = call;
  const ordered: RecordedCall[] = [];
  for (const call of slots) if (call !== undefined) ordered.push(call);
  return ordered;
}

function parseProfiles(text: string, argumentTools: ReadonlySet<string>): Map<string, Profile> {
  const profiles = new Map<string, Profile>();
  forEachLine(text, (line) => {
    const fields = line.split("\t").map(unescapeField);
    if (fields.length !== 13)
      throw new Error(`replay: a call profile has ${fields.length} columns, expected 13`);
    const [
      hash,
      instance,
      agent,
      grant,
      server,
      tool,
      outcome,
      rule,
      basis,
      shadowOutcome,
      shadowRule,
      approval,
      digest,
    ] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    profiles.set(hash, {
      instance,
      agent,
      grant,
      server,
      tool,
      recorded: {
        outcome: outcome as RecordedVerdict["outcome"],
        rule,
        basis: basis as RecordedVerdict["basis"],
      },
      recordedShadow:
        shadowOutcome === ""
          ? undefined
          : { outcome: shadowOutcome as RecordedShadow["outcome"], rule: shadowRule },
      approved: approval === "granted",
      digest,
      detailed:
        approval !== "" || outcome === "approval_required" || argumentTools.has(`${server}\x1f${tool}`),
    });
  });
  return profiles;
}

interface Details {
  callId: string;
  argumentsJson: string | undefined;
}

function parseDetails(text: string): Map<string, Details> {
  const details = new Map<string, Details>();
  forEachLine(text, (line) => {
    const [instance, seq, callId, args] = line.split("\t") as [string, string, string, string];
    details.set(`${unescapeField(instance)}\u0000${seq}`, {
      callId: unescapeField(callId ?? ""),
      argumentsJson: args === undefined || args === "" ? undefined : unescapeField(args),
    });
  });
  return details;
}

function callOf(line: string, profiles: Map<string, Profile>, details: Map<string, Details>): RecordedCall {
  const first = line.indexOf("\t");
  const second = line.indexOf("\t", first + 1);
  const third = line.indexOf("\t", second + 1);
  const fourth = line.indexOf("\t", third + 1);
  if (fourth === -1) throw new Error(`replay: a stored call has too few columns: ${line.slice(0, 80)}`);
  const profile = profiles.get(line.slice(0, first));
  if (profile === undefined) throw new Error(`replay: a stored call has no profile: ${line.slice(0, 80)}`);
  const seqText = line.slice(first + 1, second);
  const flags = Number(line.slice(fourth + 1));
  const detail = profile.detailed ? details.get(`${profile.instance}\u0000${seqText}`) : undefined;
  return {
    eventId: "",
    callId: detail?.callId ?? "",
    instance: profile.instance,
    seq: Number(seqText),
    at: Number(line.slice(second + 1, third)),
    session: unescapeField(line.slice(third + 1, fourth)),
    agent: profile.agent,
    grant: profile.grant,
    server: profile.server,
    tool: profile.tool,
    argumentsJson: detail?.argumentsJson,
    argumentsAreObject: (flags & 1) === 1,
    redacted: (flags & 2) === 2,
    approved: profile.approved,
    digest: profile.digest,
    recorded: profile.recorded,
    recordedShadow: profile.recordedShadow,
  };
}

function forEachLine(text: string, visit: (line: string) => void): void {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    if (end > start) visit(text.slice(start, end));
    start = end + 1;
  }
}
