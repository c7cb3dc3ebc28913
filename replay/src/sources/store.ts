/**
 * Recorded calls from the store, fast. Per time slice (an hourly histogram, at most SLICE_ROWS
 * rows, fetched one ahead of the decider) two queries, each answered in a binary format:
 * - the slice's call "profiles": what repeats across calls (instance, identity, tool, recorded
 *   decision, policy), each once with its hash;
 * - every call as its profile's hash, its session, a few numbers, and the call id and arguments
 *   only where they are needed (held calls; tools a policy checks the arguments of), read in
 *   place: one pass finds each row's profile and sequence number, and the rest of a row is read
 *   only when its call is built, just before it is decided (short-lived objects, not a slice's
 *   worth at once). This one in Native, column after column: ClickHouse writes it with a third
 *   less CPU than RowBinary, where it writes value after value (docs/PERFORMANCE.md), and reading
 *   a value in place costs the same either way. Sessions come as LowCardinality: each block's
 *   session ids once, and per call a number in them (no text decoded per call, no query of its
 *   own for the slice's sessions).
 * None is sorted by ClickHouse (sorting wide rows cost more than everything else together):
 * each instance's chain sequence numbers are dense, so rows are placed by sequence number, which
 * also drops a duplicated row (at-least-once ingest before a merge) onto its twin. No FINAL.
 */
import type { Store } from "@tollgate/store";
import { CALL_PROFILE_COLUMNS } from "@tollgate/store/schema";
import type { RecordedCall, RecordedShadow, RecordedVerdict, ReplayWindow } from "../recorded.js";
import type { ReplaySource } from "../report.js";
import { type CallSource, locatorKey } from "../run.js";
import { compareStrings } from "../tally.js";
import { BinaryReader, nativeColumn, readLowCardinality } from "./binary-reader.js";
import { type Bucket, slicesOf } from "./slices.js";

/**
 * Rows per slice: bounded memory whatever the window (about 70 MB of results and indexes per
 * slice, two slices at a time). Not smaller: the table is sorted by agent and day before time, so
 * a slice of a few hours reads nearly every granule of its days, and a day replayed in slices of
 * 250,000 rows cost chDB's threads nearly twice the CPU of the same day in two slices (measured,
 * docs/PERFORMANCE.md, replay step 13).
 */
export const SLICE_ROWS = 1_000_000;

const RANGE = `type = 'call.decided'
  AND time >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND time < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
/** A row's bucket of time as epoch ms, so that JavaScript reads it as a number. */
const bucketStart = (bucket: "toStartOfHour" | "toStartOfMinute") =>
  `toUnixTimestamp64Milli(toDateTime64(${bucket}(time), 3, 'UTC'))`;
const HOUR_START = bucketStart("toStartOfHour");

/** The range of a source that reads only some gateway instances' calls (one worker's, parallel.ts). */
const INSTANCES_RANGE = `${RANGE} AND gateway_instance IN {instances:Array(String)}`;

/**
 * The slice's profiles not known from earlier slices: after the first slices, usually none, and
 * ClickHouse skips the GROUP BY over twelve columns for every row.
 */
const profilesQuery = (range: string) => `SELECT call_profile AS profile, ${CALL_PROFILE_COLUMNS}
FROM events WHERE ${range} AND call_profile NOT IN {known:Array(UInt64)}
GROUP BY profile, ${CALL_PROFILE_COLUMNS}`;
/** Beyond this many, the profiles query gets no list (the known ones come back and are skipped). */
const MOST_KNOWN_PROFILES = 20_000;
/**
 * The call id and the arguments only where they are needed (an empty string, one byte, elsewhere):
 * call ids of held calls and their approvals, arguments of the profiles whose tool a policy checks
 * (known from the profiles query just before, so no query for the window's tools up front).
 */
const callsQuery = (
  range: string,
) => `SELECT call_profile, chain_seq, decided_at, toLowCardinality(session_id), toUInt8(notEmpty(redacted) * 2 + arguments_object),
  if(outcome = 'approval_required' OR approval != '', call_id, ''),
  if(call_profile IN {argumentProfiles:Array(UInt64)}, arguments, '')
FROM events WHERE ${range}`;

/** The queries of one source: over every instance's calls, or over some instances' only. */
interface SourceQueries {
  range: string;
  /** Query parameters beyond the window's. */
  params: Record<string, unknown>;
  profiles: string;
  calls: string;
}

function queriesFor(instances: readonly string[] | undefined): SourceQueries {
  const range = instances === undefined ? RANGE : INSTANCES_RANGE;
  return {
    range,
    params: instances === undefined ? {} : { instances },
    profiles: profilesQuery(range),
    calls: callsQuery(range),
  };
}

interface Profile {
  instance: string;
  /** The instance's number in `Profiles.instances`: rows are put in chain order per instance by it. */
  instanceIndex: number;
  agent: string;
  grant: string;
  server: string;
  tool: string;
  recorded: RecordedVerdict;
  recordedShadow: RecordedShadow | undefined;
  approved: boolean;
  digest: string;
  /** Its columns joined: tells the same profile sent again from another with the same hash. */
  key: string;
}

/** The columns of CALL_PROFILE_COLUMNS, in their order. */
const PROFILE_FIELDS = 12;

export interface StoreSourceOptions {
  /** Rows per slice (default SLICE_ROWS): what one read holds in memory. */
  sliceRows?: number;
  /** Only these gateway instances' calls (default: every instance's). */
  instances?: readonly string[];
  /** The histogram of these calls by hour, when known already: no query for it. */
  hours?: KnownHours;
}

/** A histogram by hour of the calls a source reads in `range`. */
export interface KnownHours {
  range: ReplayWindow;
  hours: readonly Bucket[];
}

/** What the store source asks of a store: a worker thread's stand-in forwards just these (parallel.ts). */
export type ReplayStore = Pick<Store, "target" | "select" | "selectBinary">;

export function storeSource(store: ReplayStore, options: StoreSourceOptions = {}): CallSource {
  const sliceRows = options.sliceRows ?? SLICE_ROWS;
  const queries = queriesFor(options.instances);
  return {
    describe(): ReplaySource {
      const where = store.target.kind === "http" ? store.target.url : `chDB ${store.target.path}`;
      return { kind: "clickhouse", detail: `${where}: events where type = 'call.decided', by time slice` };
    },
    calls: (range, readsArguments) =>
      storeCalls(store, queries, range, readsArguments, sliceRows, options.hours),
    async eventIds(calls, range) {
      const rows = await store.select<{ instance: string; seq: string | number; id: string }>(
        `SELECT gateway_instance AS instance, chain_seq AS seq, any(event_id) AS id FROM events
         WHERE ${RANGE} AND chain_seq IN {seqs:Array(UInt64)}
           AND has({keys:Array(String)}, concat(gateway_instance, '\\x1f', toString(chain_seq)))
         GROUP BY instance, seq`,
        {
          from: range.from,
          to: range.to,
          // The numbers first: a cheap filter before the text of every row is built.
          seqs: [...new Set(calls.map((call) => call.seq))],
          keys: calls.map(locatorKey),
        },
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

/** A gateway instance's calls in a window, in all and by hour. */
export interface InstanceCalls {
  instance: string;
  calls: number;
  hours: Bucket[];
}

/**
 * The gateway instances with calls in `range`, busiest first, with their histograms by hour: how
 * parallel.ts shares them out, and each share's slices, in one query.
 */
export async function storeInstanceCalls(store: ReplayStore, range: ReplayWindow): Promise<InstanceCalls[]> {
  const rows = await store.select<{ instance: string; start: string | number; rows: string | number }>(
    `SELECT gateway_instance AS instance, ${HOUR_START} AS start, count() AS rows FROM events
     WHERE ${RANGE} GROUP BY instance, start ORDER BY instance, start`,
    { from: range.from, to: range.to },
  );
  const instances = new Map<string, InstanceCalls>();
  for (const row of rows) {
    let instance = instances.get(row.instance);
    if (instance === undefined) {
      instance = { instance: row.instance, calls: 0, hours: [] };
      instances.set(row.instance, instance);
    }
    const bucket = { start: Number(row.start), rows: Number(row.rows) };
    instance.calls += bucket.rows;
    instance.hours.push(bucket);
  }
  return [...instances.values()].sort((a, b) => b.calls - a.calls || compareStrings(a.instance, b.instance));
}

async function* storeCalls(
  store: ReplayStore,
  queries: SourceQueries,
  range: ReplayWindow,
  readsArguments: (server: string, tool: string) => boolean,
  sliceRows: number,
  known: KnownHours | undefined,
): AsyncIterable<RecordedCall[]> {
  const slices = await sliceWindow(store, queries, range, sliceRows, known);
  const profiles: Profiles = { list: [], byHash: new Map(), readingArguments: [], instances: new Map() };
  const pool = callPool();
  const arrays = new RowArrays();
  const fetch = async (slice: ReplayWindow): Promise<Uint8Array> => {
    const known = profiles.list.length > MOST_KNOWN_PROFILES ? [] : [...profiles.byHash.keys()];
    const window = { from: slice.from, to: slice.to, ...queries.params };
    const newProfiles = await store.selectBinary(queries.profiles, { ...window, known });
    // Before the calls query, which asks for the arguments of the profiles that need them, and
    // before the next fetch, which leaves out this slice's profiles too.
    addProfiles(profiles, newProfiles, readsArguments);
    return await store.selectBinary(
      queries.calls,
      { ...window, argumentProfiles: profiles.readingArguments },
      "Native",
    );
  };
  let next = slices[0] === undefined ? undefined : fetch(slices[0]);
  for (let index = 0; next !== undefined; index += 1) {
    const calls = await next;
    const following = slices[index + 1];
    next = following === undefined ? undefined : fetch(following);
    yield* assemble(calls, profiles, pool, arrays);
  }
}

/** The window's slices, from the histogram given (`StoreSourceOptions.hours`) or asked for. */
async function sliceWindow(
  store: ReplayStore,
  queries: SourceQueries,
  range: ReplayWindow,
  sliceRows: number,
  known: KnownHours | undefined,
): Promise<ReplayWindow[]> {
  const hours =
    known !== undefined && known.range.from === range.from && known.range.to === range.to
      ? known.hours
      : await histogram(store, queries, range, "toStartOfHour");
  return slicesOf(range, hours, sliceRows, (hour) => histogram(store, queries, hour, "toStartOfMinute"));
}

async function histogram(
  store: ReplayStore,
  queries: SourceQueries,
  range: ReplayWindow,
  bucket: "toStartOfHour" | "toStartOfMinute",
): Promise<Bucket[]> {
  const rows = await store.select<{ start: string | number; rows: string | number }>(
    `SELECT ${bucketStart(bucket)} AS start, count() AS rows
     FROM events WHERE ${queries.range} GROUP BY start ORDER BY start`,
    { from: range.from, to: range.to, ...queries.params },
  );
  return rows.map((row) => ({ start: Number(row.start), rows: Number(row.rows) }));
}

/** Calls per batch handed to the decider: built just before they are decided, so they die young. */
const BATCH_CALLS = 8_192;
/**
 * The least bytes a row of the calls query takes: profile, sequence number and time (8 each), its
 * session's number (1 at least), flags (1), two empty strings (1 each).
 */
const LEAST_ROW_BYTES = 28;
/** The calls query's columns. */
const CALL_COLUMNS = 7;

/**
 * Each instance's calls of the slice in chain order, in batches of at most BATCH_CALLS. The
 * batch's call objects are the pool's, refilled for every batch: replay reads a batch before it
 * asks for the next (`CallSource`), and 8,192 objects refilled cost nothing to collect, where a
 * fresh object per call was the largest share of the garbage.
 */
function* assemble(
  calls: Uint8Array,
  profiles: Profiles,
  pool: RecordedCall[],
  arrays: RowArrays,
): Generator<RecordedCall[]> {
  const rows = indexRows(calls, profiles, arrays);
  for (const order of chainOrders(rows, profiles.instances.size)) {
    let filled = 0;
    // An index loop: iterating a typed array with for-of allocated an iterator result per call.
    for (let position = 0; position < order.length; position += 1) {
      const slot = order[position] as number;
      if (slot === 0) continue;
      fillCall(pool[filled] as RecordedCall, rows, slot - 1, profiles.list);
      filled += 1;
      if (filled === BATCH_CALLS) {
        yield pool;
        filled = 0;
      }
    }
    if (filled > 0) yield pool.slice(0, filled);
  }
}

function callPool(): RecordedCall[] {
  return Array.from({ length: BATCH_CALLS }, blankCall);
}

/** All fields set, in one order, so that every pooled call shares one hidden class. */
function blankCall(): RecordedCall {
  return {
    eventId: "",
    callId: "",
    instance: "",
    seq: 0,
    at: 0,
    session: "",
    agent: "",
    grant: "",
    server: "",
    tool: "",
    argumentsJson: undefined,
    argumentsAreObject: false,
    redacted: false,
    approved: false,
    digest: "",
    recorded: { outcome: "allow", rule: "", basis: "rule" },
    recordedShadow: undefined,
  };
}

/**
 * The calls result (Native blocks) indexed in one pass: each row's profile, instance and sequence
 * number, its block, and where its two strings start. The rest of a row is read in place when its
 * call is built.
 */
interface RowIndex {
  reader: BinaryReader;
  count: number;
  profile: Int32Array;
  /** Each row's instance number (`Profile.instanceIndex`). */
  instance: Int32Array;
  seq: Float64Array;
  block: Int32Array;
  /** The row's session: its number in its block's sessions (`BlockColumns.sessions`). */
  session: Int32Array;
  /** Where the row's call id starts (its length's first byte); 0 for an empty call id. */
  callId: Int32Array;
  /** Where the row's arguments start; 0 when none were read. */
  args: Int32Array;
  blocks: BlockColumns;
}

/** Per block: its first row, its sessions, and where its fixed-width columns read in place start. */
interface BlockColumns {
  firstRow: number[];
  /** The block's dictionary of session ids (ClickHouse's LowCardinality): each decoded once per block. */
  sessions: string[][];
  at: number[];
  flags: number[];
}

function indexRows(bytes: Uint8Array, profiles: Profiles, arrays: RowArrays): RowIndex {
  const rows: RowIndex = {
    reader: new BinaryReader(bytes),
    count: 0,
    ...arrays.holding(Math.floor(bytes.byteLength / LEAST_ROW_BYTES) + 1),
    blocks: { firstRow: [], sessions: [], at: [], flags: [] },
  };
  const { reader } = rows;
  while (!reader.done) indexBlock(rows, profiles);
  return rows;
}

type PerRow = Pick<RowIndex, "profile" | "instance" | "seq" | "block" | "session" | "callId" | "args">;

/**
 * The index's per-row arrays, kept from slice to slice (one slice is indexed at a time) and grown
 * when a slice needs more rows. Fresh arrays per slice, about 30 MB outside V8's heap each time,
 * made V8 run a full collection or two per slice.
 */
class RowArrays {
  private arrays: PerRow | undefined;

  holding(rows: number): PerRow {
    if (this.arrays === undefined || this.arrays.profile.length < rows) {
      this.arrays = {
        profile: new Int32Array(rows),
        instance: new Int32Array(rows),
        seq: new Float64Array(rows),
        block: new Int32Array(rows),
        session: new Int32Array(rows),
        callId: new Int32Array(rows),
        args: new Int32Array(rows),
      };
    }
    return this.arrays;
  }
}

/** One Native block of the calls query, its columns in the query's order. */
function indexBlock(rows: RowIndex, profiles: Profiles): void {
  const { reader, blocks } = rows;
  const columns = reader.varUInt();
  const count = reader.varUInt();
  if (columns !== CALL_COLUMNS) {
    throw new Error(`replay: the calls query answered ${columns} columns, not ${CALL_COLUMNS}`);
  }
  const first = rows.count;
  if (first + count > rows.profile.length) {
    throw new Error(`replay: the calls query answered more rows than its ${reader.offset} bytes can hold`);
  }
  blocks.firstRow.push(first);
  rows.block.fill(blocks.firstRow.length - 1, first, first + count);
  nativeColumn(reader, "UInt64");
  for (let row = first; row < first + count; row += 1) {
    const hash = reader.uint64();
    const profile = profiles.byHash.get(hash);
    if (profile === undefined) throw new Error(`replay: a stored call has no profile (hash ${hash})`);
    rows.profile[row] = profile;
    rows.instance[row] = (profiles.list[profile] as Profile).instanceIndex;
  }
  nativeColumn(reader, "UInt64");
  for (let row = first; row < first + count; row += 1) rows.seq[row] = reader.uint64();
  blocks.at.push(skipFixed(reader, "Float64", count));
  nativeColumn(reader, "LowCardinality(String)");
  blocks.sessions.push(readLowCardinality(reader, rows.session, first, count));
  blocks.flags.push(skipFixed(reader, "UInt8", count));
  indexStrings(reader, rows.callId, first, count);
  indexStrings(reader, rows.args, first, count);
  rows.count += count;
}

/** Where a fixed-width column's values start; the reader moves past them. */
function skipFixed(reader: BinaryReader, type: string, count: number): number {
  const width = nativeColumn(reader, type);
  const start = reader.offset;
  reader.offset += width * count;
  return start;
}

/** Where each row's string starts, 0 for an empty one (no string starts at byte 0). */
function indexStrings(reader: BinaryReader, starts: Int32Array, first: number, count: number): void {
  nativeColumn(reader, "String");
  for (let row = first; row < first + count; row += 1) {
    const start = reader.offset;
    reader.skipString();
    starts[row] = reader.offset - start === 1 ? 0 : start;
  }
}

/**
 * Per instance, row numbers + 1 placed by sequence number (dense per instance, so placing is
 * linear), 0 where no row is: a duplicated row (at-least-once ingest before a merge) lands on its twin.
 */
function chainOrders(rows: RowIndex, instances: number): Int32Array[] {
  const lowest = new Float64Array(instances).fill(Number.POSITIVE_INFINITY);
  const highest = new Float64Array(instances).fill(Number.NEGATIVE_INFINITY);
  // The slice's instances in the order their first rows came, as the order calls are handed over.
  const present: number[] = [];
  for (let row = 0; row < rows.count; row += 1) {
    const instance = rows.instance[row] as number;
    const seq = rows.seq[row] as number;
    if (lowest[instance] === Number.POSITIVE_INFINITY) present.push(instance);
    if (seq < (lowest[instance] as number)) lowest[instance] = seq;
    if (seq > (highest[instance] as number)) highest[instance] = seq;
  }
  const slots: Int32Array[] = [];
  for (const instance of present) {
    slots[instance] = new Int32Array((highest[instance] as number) - (lowest[instance] as number) + 1);
  }
  for (let row = 0; row < rows.count; row += 1) {
    const instance = rows.instance[row] as number;
    (slots[instance] as Int32Array)[(rows.seq[row] as number) - (lowest[instance] as number)] = row + 1;
  }
  return present.map((instance) => slots[instance] as Int32Array);
}

function fillCall(call: RecordedCall, rows: RowIndex, row: number, profiles: readonly Profile[]): void {
  const { reader, blocks } = rows;
  const profile = profiles[rows.profile[row] as number] as Profile;
  const block = rows.block[row] as number;
  const inBlock = row - (blocks.firstRow[block] as number);
  reader.offset = (blocks.at[block] as number) + 8 * inBlock;
  call.at = reader.float64();
  call.session = (blocks.sessions[block] as string[])[rows.session[row] as number] as string;
  reader.offset = (blocks.flags[block] as number) + inBlock;
  const flags = reader.uint8();
  call.callId = stringAt(reader, rows.callId[row] as number);
  const args = rows.args[row] as number;
  call.instance = profile.instance;
  call.seq = rows.seq[row] as number;
  call.agent = profile.agent;
  call.grant = profile.grant;
  call.server = profile.server;
  call.tool = profile.tool;
  call.argumentsJson = args === 0 ? undefined : stringAt(reader, args);
  call.argumentsAreObject = (flags & 1) === 1;
  call.redacted = (flags & 2) === 2;
  call.approved = profile.approved;
  call.digest = profile.digest;
  call.recorded = profile.recorded;
  call.recordedShadow = profile.recordedShadow;
}

function stringAt(reader: BinaryReader, start: number): string {
  if (start === 0) return "";
  reader.offset = start;
  return reader.string();
}

interface Profiles {
  list: Profile[];
  /** Index into `list` by the profile's hash. */
  byHash: Map<number, number>;
  /** The hashes of profiles whose tool a policy checks the arguments of. */
  readingArguments: number[];
  /** Every instance of the profiles, numbered in the order they came. */
  instances: Map<string, number>;
}

/** The profiles of a query's answer, added to those already known. */
function addProfiles(
  profiles: Profiles,
  bytes: Uint8Array,
  readsArguments: (server: string, tool: string) => boolean,
): void {
  const reader = new BinaryReader(bytes);
  while (!reader.done) {
    const hash = reader.uint64();
    const fields = Array.from({ length: PROFILE_FIELDS }, () => reader.string());
    const key = fields.join("\x1f");
    const known = profiles.byHash.get(hash);
    if (known !== undefined) {
      if (profiles.list[known]?.key === key) continue;
      // Two profiles with one 53-bit hash: astronomically unlikely, but never a silent mix-up.
      throw new Error(
        `replay: two call profiles share the hash ${hash}; replay this window from --events or --kafka`,
      );
    }
    profiles.byHash.set(hash, profiles.list.length);
    const profile = profileOf(fields, key, instanceIndexOf(profiles.instances, fields[0] as string));
    profiles.list.push(profile);
    if (readsArguments(profile.server, profile.tool)) profiles.readingArguments.push(hash);
  }
}

function instanceIndexOf(instances: Map<string, number>, instance: string): number {
  let index = instances.get(instance);
  if (index === undefined) {
    index = instances.size;
    instances.set(instance, index);
  }
  return index;
}

function profileOf(fields: string[], key: string, instanceIndex: number): Profile {
  const [
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
  ];
  return {
    instance,
    instanceIndex,
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
    key,
  };
}
