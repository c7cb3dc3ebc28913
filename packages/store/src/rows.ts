/**
 * Events as rows of the `events` table: their JSON verbatim, plus the columns queries filter on,
 * encoded once, straight into the bytes of the insert (JSONEachRow, one line per event).
 *
 * Each line is written as text and copied into one growing buffer: no row object per event, and no
 * joined string of the whole batch (joining 10,000 lines and encoding the result cost more than
 * serialising them; measured, docs/PERFORMANCE.md). The values are the same as the
 * `JSON.stringify` of a row object would give: strings through `JSON.stringify`, numbers as JSON
 * numbers (`null` when not finite, which ClickHouse reads as the column's default).
 */
import { serializeEvent, type TollgateEvent } from "@tollgate/events";

/** An event with the exact JSON it arrived as (a Kafka message), stored instead of re-serializing. */
export interface RawEvent {
  event: TollgateEvent;
  json: string;
}

export type EventInput = TollgateEvent | RawEvent;

/**
 * Events encoded for `Store.insertRows`, apart from the insert itself: ingest encodes the next batch
 * while ClickHouse stores this one.
 */
export interface EventRows {
  /** One JSON object per line (JSONEachRow), with every column of the `events` table. */
  readonly payload: Uint8Array;
  readonly count: number;
}

export function eventRows(events: readonly EventInput[]): EventRows {
  const payload = new PayloadWriter(events.length);
  for (const input of events) {
    const { event, json } = "json" in input ? input : { event: input, json: serializeEvent(input) };
    payload.line(rowLine(event, json));
  }
  return { payload: payload.written(), count: events.length };
}

/**
 * Column names as in the DDL (migrations.ts); absent values are '' so filters need no NULL logic.
 * `time` is epoch ms: JSONEachRow reads an integer as DateTime64(3) ticks. The columns migration 3
 * added are always written, never left to their DEFAULT expressions: those parse the event JSON
 * with simdjson, which refuses a whole document over one integer beyond 64 bits (an argument of
 * 1e20 is written as 21 digits) and would leave `decided_at` 0 and `arguments` empty.
 */
function rowLine(event: TollgateEvent, json: string): string {
  const session = event.session;
  return (
    `{"event_id":${str(event.id)},"type":${str(event.type)},"schema":${str(event.schema)},` +
    `"time":${num(Math.trunc(event.time))},` +
    `"gateway_instance":${str(event.gateway.instance)},"gateway_version":${str(event.gateway.version)},` +
    `"chain_seq":${num(event.chain.seq)},"chain_prev":${JSON.stringify(event.chain.prev)},` +
    `"chain_hash":${str(event.chain.hash)},` +
    `"session_id":${str(session?.id ?? "")},"agent":${str(session?.agent ?? "")},` +
    `"grant":${str(session?.grant ?? "")},"client_name":${str(session?.client?.name ?? "")},` +
    `"client_version":${str(session?.client?.version ?? "")},"transport":${str(session?.transport ?? "")},` +
    `${callColumns(event)},"event_json":${str(json)}}`
  );
}

/** The call columns, as the middle of a JSON object (no braces). */
function callColumns(event: TollgateEvent): string {
  switch (event.type) {
    case "call.decided": {
      const { call, decision } = event.payload;
      return (
        `"call_id":${str(call.id)},"server":${str(call.server)},"tool":${str(call.tool)},` +
        `"outcome":${str(decision.outcome)},"rule":${str(decision.rule)},"basis":${str(decision.basis)},` +
        `"reason":${str(decision.reason)},"status":"","latency_ms":null,` +
        `"decided_at":${num(decision.at)},"policy_digest":${str(decision.policy.digest)},` +
        `"approval":${str(decision.approval ?? "")},` +
        `"arguments":${str(JSON.stringify(call.arguments) ?? "null")},` +
        `"arguments_object":${isObject(call.arguments) ? 1 : 0},` +
        `"redacted":${JSON.stringify(call.redacted)},` +
        `"shadow_outcome":${str(decision.shadow?.outcome ?? "")},` +
        `"shadow_rule":${str(decision.shadow?.rule ?? "")}`
      );
    }
    case "call.completed":
      return callOnly(event.payload.callId, {
        status: event.payload.status,
        latencyMs: event.payload.latencyMs,
      });
    case "approval.requested":
      return callOnly(event.payload.callId, { rule: event.payload.rule, reason: event.payload.reason });
    case "approval.resolved":
      return callOnly(event.payload.callId, { status: event.payload.resolution });
    default:
      return callOnly("", {});
  }
}

/** Call columns of an event that holds no decision ('' where it names no call). */
function callOnly(
  callId: string,
  {
    rule = "",
    reason = "",
    status = "",
    latencyMs,
  }: { rule?: string; reason?: string; status?: string; latencyMs?: number },
): string {
  return (
    `"call_id":${str(callId)},"server":"","tool":"","outcome":"","rule":${str(rule)},"basis":"",` +
    `"reason":${str(reason)},"status":${str(status)},` +
    `"latency_ms":${latencyMs === undefined ? "null" : num(latencyMs)},` +
    `"decided_at":0,"policy_digest":"","approval":"","arguments":"","arguments_object":0,"redacted":[],` +
    `"shadow_outcome":"","shadow_rule":""`
  );
}

function str(value: string): string {
  return JSON.stringify(value);
}

/** A JSON number, or null where JSON has none (as `JSON.stringify` writes NaN and infinities). */
function num(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const NEWLINE = 0x0a;
/** About a kilobyte per event to start with: one or two doublings for typical events. */
const BYTES_PER_EVENT_GUESS = 1024;
const SMALLEST_BUFFER = 64 * 1024;

/** Lines encoded as UTF-8 into one buffer that doubles when it fills up. */
class PayloadWriter {
  private buffer = Buffer.alloc(0);
  private length = 0;
  /** Allocated with the first line, so that an empty batch (an idle poll) allocates nothing. */
  private readonly firstCapacity: number;

  constructor(lines: number) {
    this.firstCapacity = Math.max(SMALLEST_BUFFER, lines * BYTES_PER_EVENT_GUESS);
  }

  line(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit (a surrogate pair: 4 bytes for 2 units).
    this.reserve(text.length * 3 + 1);
    this.length += this.buffer.write(text, this.length, "utf8");
    this.buffer[this.length++] = NEWLINE;
  }

  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(
      Math.max(this.firstCapacity, this.buffer.length * 2, this.length + bytes),
    );
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
