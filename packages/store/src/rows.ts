/**
 * Events as rows of the `events` table: their JSON verbatim, plus the columns queries filter on,
 * encoded once, straight into the bytes of the insert, in ClickHouse's RowBinary format.
 *
 * RowBinary because parsing text was most of what an insert cost ClickHouse: JSONEachRow took about
 * 23–32 µs of CPU per event to parse, RowBinary about 5 (docs/PERFORMANCE.md, pipeline step 8).
 * Values are written as ClickHouse holds them (numbers little-endian, strings as their UTF-8 bytes
 * after a LEB128 length), so nothing is escaped here and nothing is parsed there; the event JSON
 * goes in as it is. Everything goes into one growing buffer: no row object per event, no string of
 * the batch.
 *
 * The values are the ones the JSONEachRow encoding gave (rows.test.ts holds every column to them):
 * absent values are '' so filters need no NULL logic, and a number that is not finite (which JSON
 * wrote as null) is the column's default, 0, or NULL where the column is Nullable.
 */
import { type EventOfType, serializeEvent, type TollgateEvent } from "@tollgate/events";
import type { RowBuffers } from "./row-buffers.js";

/**
 * An event with the exact JSON it arrived as, stored instead of re-serializing: text, or its UTF-8
 * bytes (a spool record), which are copied into the rows as they are.
 */
export interface RawEvent {
  event: TollgateEvent;
  json: string | Uint8Array;
}

export type EventInput = TollgateEvent | RawEvent;

/** How to read a payload: the `events` columns it fills, in its order, and their types in it. */
export interface RowLayout {
  readonly columns: readonly string[];
  /** ClickHouse's structure text (`name Type, …`), for a table function that reads the payload. */
  readonly structure: string;
}

/**
 * Events encoded for `Store.insertRows`, apart from the insert itself: ingest encodes the next batch
 * while ClickHouse stores this one.
 */
export interface EventRows {
  /**
   * RowBinary: one row after the other, each with the layout's columns in its order, held in parts
   * that are read one after the other. Several batches' rows make one insert by listing their
   * parts: copying them into one buffer took about 3.5 % of Kafka ingest's JavaScript thread
   * (docs/PERFORMANCE.md, pipeline, eleventh session).
   */
  readonly parts: readonly Uint8Array[];
  readonly count: number;
  readonly layout: RowLayout;
}

/**
 * The columns as the payload holds them, in its order. Types are the table's, except that the
 * LowCardinality(String) columns are declared String: the bytes are the same in RowBinary, and
 * ClickHouse reading them as String and converting them as it writes the part cost less than
 * reading them as LowCardinality (an insert of 10,000 events: 17 vs 22 µs of CPU per event). The
 * UUID is written in its binary form, so that a server, which reads a RowBinary body with the
 * table's own types, takes the same bytes. `call_profile` is left out: ClickHouse computes it
 * (MATERIALIZED). The columns migration 3 added (`decided_at` to `shadow_rule`) are always written,
 * never left to their DEFAULT expressions: those parse the event JSON with simdjson, which refuses
 * a whole document over one integer beyond 64 bits (an argument of 1e20 is written as 21 digits)
 * and would leave `decided_at` 0 and `arguments` empty.
 */
const EVENT_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ["event_id", "UUID"],
  ["type", "String"],
  ["schema", "String"],
  ["time", "DateTime64(3, 'UTC')"],
  ["gateway_instance", "String"],
  ["gateway_version", "String"],
  ["chain_seq", "UInt64"],
  ["chain_prev", "Nullable(String)"],
  ["chain_hash", "String"],
  ["session_id", "String"],
  ["agent", "String"],
  ["grant", "String"],
  ["client_name", "String"],
  ["client_version", "String"],
  ["transport", "String"],
  ["call_id", "String"],
  ["server", "String"],
  ["tool", "String"],
  ["outcome", "String"],
  ["rule", "String"],
  ["basis", "String"],
  ["reason", "String"],
  ["status", "String"],
  ["latency_ms", "Nullable(Float64)"],
  ["decided_at", "Float64"],
  ["policy_digest", "String"],
  ["approval", "String"],
  ["arguments", "String"],
  ["arguments_object", "UInt8"],
  ["redacted", "Array(String)"],
  ["shadow_outcome", "String"],
  ["shadow_rule", "String"],
  ["event_json", "String"],
];

const EVENT_ROW_LAYOUT: RowLayout = Object.freeze({
  columns: Object.freeze(EVENT_COLUMNS.map(([name]) => name)),
  structure: EVENT_COLUMNS.map(([name, type]) => `${name} ${type}`).join(", "),
});

/**
 * `buffers`: where the rows' memory comes from, for a caller that gives it back once the insert
 * is acknowledged (ingest); without, fresh memory each time.
 */
export function eventRows(events: readonly EventInput[], buffers?: RowBuffers): EventRows {
  const writer = new EventRowsWriter(events.length, buffers);
  for (const input of events) writer.add(input);
  return writer.rows();
}

/**
 * Rows encoded one event at a time, as a reader parses them: the parsed event need not outlive
 * `add`. A consumer that kept a whole fetch of parsed events until it encoded them had them survive
 * young-generation collections, which copied each one and then promoted it (pipeline step 17).
 */
export class EventRowsWriter {
  private readonly out: RowBinaryWriter;
  private count = 0;

  /** `expected`: about how many events will be added, to size the first buffer. */
  constructor(expected: number, buffers?: RowBuffers) {
    this.out = new RowBinaryWriter(expected, buffers);
  }

  add(input: EventInput): void {
    if ("json" in input) writeRow(this.out, input.event, input.json);
    else writeRow(this.out, input, serializeEvent(input));
    this.count += 1;
  }

  /** The rows added so far; add nothing after this. */
  rows(): EventRows {
    return { parts: [this.out.written()], count: this.count, layout: EVENT_ROW_LAYOUT };
  }
}

/** Several batches' rows as one insert's: their parts one after the other, not copied. */
export function concatRows(batches: readonly EventRows[]): EventRows {
  if (batches.length === 1) return batches[0] as EventRows;
  let count = 0;
  for (const batch of batches) count += batch.count;
  return { parts: batches.flatMap((batch) => batch.parts), count, layout: EVENT_ROW_LAYOUT };
}

/** One row, in the order of EVENT_COLUMNS. */
function writeRow(out: RowBinaryWriter, event: TollgateEvent, json: string | Uint8Array): void {
  const session = event.session;
  out.uuid(event.id);
  out.string(event.type);
  out.string(event.schema);
  out.int64(Math.trunc(finiteOrZero(event.time)));
  out.string(event.gateway.instance);
  out.string(event.gateway.version);
  out.uint64(Math.trunc(finiteOrZero(event.chain.seq)));
  out.nullableString(event.chain.prev);
  out.string(event.chain.hash);
  out.string(session?.id ?? "");
  out.string(session?.agent ?? "");
  out.string(session?.grant ?? "");
  out.string(session?.client?.name ?? "");
  out.string(session?.client?.version ?? "");
  out.string(session?.transport ?? "");
  writeCallColumns(out, event);
  if (typeof json === "string") out.string(json);
  else out.bytes(json);
}

/** `call_id` to `shadow_rule`. */
function writeCallColumns(out: RowBinaryWriter, event: TollgateEvent): void {
  switch (event.type) {
    case "call.decided":
      writeDecision(out, event);
      break;
    case "call.completed":
      writeCallOnly(out, event.payload.callId, "", "", event.payload.status, event.payload.latencyMs);
      break;
    case "approval.requested":
      writeCallOnly(out, event.payload.callId, event.payload.rule, event.payload.reason, "");
      break;
    case "approval.resolved":
      writeCallOnly(out, event.payload.callId, "", "", event.payload.resolution);
      break;
    default:
      writeCallOnly(out, "", "", "", "");
  }
}

function writeDecision(out: RowBinaryWriter, event: EventOfType<"call.decided">): void {
  const { call, decision } = event.payload;
  out.string(call.id);
  out.string(call.server);
  out.string(call.tool);
  out.string(decision.outcome);
  out.string(decision.rule);
  out.string(decision.basis);
  out.string(decision.reason);
  out.string(""); // status
  out.nullableFloat64(undefined); // latency_ms
  out.float64(finiteOrZero(decision.at));
  out.string(decision.policy.digest);
  out.string(decision.approval ?? "");
  out.string(JSON.stringify(call.arguments) ?? "null");
  out.uint8(isObject(call.arguments) ? 1 : 0);
  out.stringArray(call.redacted);
  out.string(decision.shadow?.outcome ?? "");
  out.string(decision.shadow?.rule ?? "");
}

/** Call columns of an event that holds no decision ('' where it names no call). */
function writeCallOnly(
  out: RowBinaryWriter,
  callId: string,
  rule: string,
  reason: string,
  status: string,
  latencyMs?: number,
): void {
  out.string(callId);
  out.string(""); // server
  out.string(""); // tool
  out.string(""); // outcome
  out.string(rule);
  out.string(""); // basis
  out.string(reason);
  out.string(status);
  out.nullableFloat64(latencyMs);
  out.float64(0); // decided_at
  out.string(""); // policy_digest
  out.string(""); // approval
  out.string(""); // arguments
  out.uint8(0); // arguments_object
  out.stringArray([]); // redacted
  out.string(""); // shadow_outcome
  out.string(""); // shadow_rule
}

/** JSON has no NaN or infinity: the JSON encoding wrote null there, which ClickHouse read as 0. */
function finiteOrZero(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A row of a typical event (about 900 bytes of JSON) takes about 1.4 KB: the JSON, the arguments
 * again, hashes and ids. Enough for those without growing; larger ones double the buffer.
 */
const BYTES_PER_EVENT_GUESS = 1536;
const SMALLEST_BUFFER = 64 * 1024;
/**
 * Strings up to this many UTF-16 code units take at most 126 UTF-8 bytes (3 per unit; a surrogate
 * pair is 4 bytes for 2 units), so their length is one LEB128 byte, known once they are written.
 */
const SHORT_STRING_UNITS = 42;
/** The longest length LEB128 writes in one byte. */
const ONE_BYTE_LENGTH_MAX = 127;
const TWO_POW_32 = 2 ** 32;
const NULL_FLAG = 1;
const NOT_NULL_FLAG = 0;

/** RowBinary values written into one buffer that doubles when it fills up. */
class RowBinaryWriter {
  private buffer = Buffer.alloc(0);
  private length = 0;
  /** Allocated with the first value, so that an empty batch (an idle poll) allocates nothing. */
  private readonly firstCapacity: number;

  constructor(
    rows: number,
    private readonly buffers: RowBuffers | undefined,
  ) {
    this.firstCapacity = Math.max(SMALLEST_BUFFER, rows * BYTES_PER_EVENT_GUESS);
  }

  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  /** LEB128 byte length, then the UTF-8 bytes. */
  string(value: string): void {
    if (value.length <= ONE_BYTE_LENGTH_MAX && this.asciiString(value)) return;
    if (value.length <= SHORT_STRING_UNITS) {
      this.reserve(1 + value.length * 3);
      const bytes = value.length === 0 ? 0 : this.buffer.write(value, this.length + 1, "utf8");
      this.buffer[this.length] = bytes;
      this.length += 1 + bytes;
      return;
    }
    const bytes = Buffer.byteLength(value, "utf8");
    this.varUInt(bytes);
    this.reserve(bytes);
    this.length += this.buffer.write(value, this.length, "utf8");
  }

  /**
   * A string of ASCII characters (most of what events hold) up to 127 long, written a character
   * at a time: for strings this short, about half the cost of `Buffer.write`'s call into C++. False,
   * and nothing written (bytes past the end may change), at the first character beyond ASCII.
   */
  private asciiString(value: string): boolean {
    const length = value.length;
    this.reserve(1 + length);
    const start = this.length + 1;
    for (let index = 0; index < length; index++) {
      const code = value.charCodeAt(index);
      if (code >= 0x80) return false;
      this.buffer[start + index] = code;
    }
    this.buffer[this.length] = length;
    this.length = start + length;
    return true;
  }

  /** A string's bytes, as they are. */
  bytes(value: Uint8Array): void {
    this.varUInt(value.byteLength);
    this.reserve(value.byteLength);
    this.buffer.set(value, this.length);
    this.length += value.byteLength;
  }

  nullableString(value: string | null): void {
    if (value === null) {
      this.uint8(NULL_FLAG);
      return;
    }
    this.uint8(NOT_NULL_FLAG);
    this.string(value);
  }

  /** Array(String): the count as LEB128, then the strings. */
  stringArray(values: readonly string[]): void {
    this.varUInt(values.length);
    for (const value of values) this.string(value);
  }

  uint8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  /** A whole number of JavaScript's range (±2^53), as two 32-bit halves; RangeError beyond ±2^63. */
  int64(value: number): void {
    this.halves(value, true);
  }

  /** Like `int64`, for 0 to 2^53; a negative value is a RangeError. */
  uint64(value: number): void {
    this.halves(value, false);
  }

  float64(value: number): void {
    this.reserve(8);
    this.length = this.buffer.writeDoubleLE(value, this.length);
  }

  /** NULL when absent or not finite (JSON's null). */
  nullableFloat64(value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) {
      this.uint8(NULL_FLAG);
      return;
    }
    this.uint8(NOT_NULL_FLAG);
    this.float64(value);
  }

  /**
   * A UUID as ClickHouse holds it: its first 8 bytes as a little-endian UInt64, then its last 8
   * the same way. Anything but the 8-4-4-4-12 hex digits events are checked for where they are
   * parsed (z.uuid) throws, failing the batch before ClickHouse sees it.
   */
  uuid(text: string): void {
    if (!isUuidShape(text)) throw new TypeError(`not a UUID: ${JSON.stringify(text)}`);
    this.reserve(16);
    for (let index = 0; index < 16; index++) {
      const at = UUID_BYTE_AT[index]!;
      const byte = hexDigit(text.charCodeAt(at)) * 16 + hexDigit(text.charCodeAt(at + 1));
      if (Number.isNaN(byte)) throw new TypeError(`not a UUID: ${JSON.stringify(text)}`);
      // Byte 0 is the most significant of the first UInt64: it goes last of that half.
      this.buffer[this.length + (index < 8 ? 7 - index : 23 - index)] = byte;
    }
    this.length += 16;
  }

  /** Low 32 bits unsigned, then the high 32 bits, signed or not (Buffer throws RangeError outside). */
  private halves(value: number, signed: boolean): void {
    this.reserve(8);
    const high = Math.floor(value / TWO_POW_32);
    this.buffer.writeUInt32LE(value - high * TWO_POW_32, this.length);
    if (signed) this.buffer.writeInt32LE(high, this.length + 4);
    else this.buffer.writeUInt32LE(high, this.length + 4);
    this.length += 8;
  }

  private varUInt(value: number): void {
    this.reserve(10);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const capacity = Math.max(this.firstCapacity, this.buffer.length * 2, this.length + bytes);
    const grown = this.buffers?.take(capacity) ?? Buffer.allocUnsafe(capacity);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Where each of a UUID's 16 bytes starts in its text (two hex digits each, dashes skipped). */
const UUID_BYTE_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const DASH = 0x2d;

function isUuidShape(text: string): boolean {
  return (
    text.length === 36 &&
    text.charCodeAt(8) === DASH &&
    text.charCodeAt(13) === DASH &&
    text.charCodeAt(18) === DASH &&
    text.charCodeAt(23) === DASH
  );
}

/** 0–15, or NaN for anything but a hex digit (so that any bad digit makes the byte NaN). */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30; // 0-9
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10; // a-f, A-F
  return Number.NaN;
}
