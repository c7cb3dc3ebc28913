/**
 * One writer's records as the reader sees them: reads ahead from a cursor, segment after segment,
 * and tells a torn tail from a record still being written by whether the writer is alive.
 */
import { join } from "node:path";
import { parseEvent } from "@tollgate/events";
import { FRAME_HEADER_BYTES, segmentFileName } from "./format.js";
import { isErrorCode } from "./fsutil.js";
import { listSegments, WRITER_LOCK } from "./layout.js";
import { lockLiveness } from "./locks.js";
import type { PoisonRecord, RecordOrigin, SpoolDamage, SpoolRecord } from "./records.js";
import { type RawRecord, readSegment, type SegmentCursor, type SegmentRead } from "./segment-reader.js";

export type FeedItem =
  | { kind: "record"; record: SpoolRecord; next: SegmentCursor }
  | { kind: "poison"; poison: PoisonRecord; next: SegmentCursor }
  | { kind: "damage"; damage: SpoolDamage; next: SegmentCursor };

/** A record read ahead but not parsed yet: only a feed's head is parsed (see `peek`). */
interface UnparsedItem {
  kind: "unparsed";
  payload: Buffer;
  origin: RecordOrigin;
  next: SegmentCursor;
}

type PendingItem = FeedItem | UnparsedItem;

export const START_OF_WRITER: SegmentCursor = { segment: 0, offset: 0, seq: 0 };

/**
 * Records are read ahead as bytes and parsed one at a time, at the head: a reader that takes each
 * record and is done with it (ingest encodes its row) then never holds a batch of parsed events,
 * which would survive young collections and be copied and promoted (docs/PERFORMANCE.md, pipeline
 * step 19).
 */
export class WriterFeed {
  /** Taken items are cleared, so that nothing here keeps a taken record alive. */
  private items: (PendingItem | undefined)[] = [];
  private head = 0;

  constructor(
    readonly writer: string,
    private readonly directory: string,
    /** Where reading continues: just past the last item read ahead. */
    private cursor: SegmentCursor,
  ) {}

  get pending(): number {
    return this.items.length - this.head;
  }

  peek(): FeedItem | undefined {
    const item = this.items[this.head];
    if (item?.kind !== "unparsed") return item;
    const parsed = parsedItem(item);
    this.items[this.head] = parsed;
    return parsed;
  }

  take(): FeedItem | undefined {
    const item = this.peek();
    if (item === undefined) return undefined;
    this.items[this.head] = undefined;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** The position once every item read ahead has been taken. */
  get readAhead(): SegmentCursor {
    return this.cursor;
  }

  /** Reads ahead until `want` items are pending or nothing more is on disk yet. */
  async fill(want: number): Promise<void> {
    if (this.pending >= want) return;
    // Liveness first: a writer already closed or dead has written its last byte, so an invalid
    // tail read after this is truly torn. Checked after the read, a record being written at that
    // moment could be mistaken for a torn one.
    const liveness = await lockLiveness(join(this.directory, WRITER_LOCK));
    const segments = await listSegments(this.directory);
    while (this.pending < want && this.moveToExisting(segments)) {
      const following = segments.find((segment) => segment > this.cursor.segment);
      const read = await readSegment(this.segmentPath(), this.cursor, want - this.pending).catch(
        (error: unknown) => {
          // Reclaimed by a commit running alongside this read: everything in it was consumed.
          if (isErrorCode(error, "ENOENT")) return undefined;
          throw error;
        },
      );
      if (read === undefined) return;
      this.push(read);
      const { stop } = read;
      if (stop.kind === "limit") return;
      if (stop.kind === "damaged") {
        // The newest segment of a live writer may hold a record that is only half written yet.
        // Any older segment is final: the writer moved on only after that one's last fsync.
        if (following === undefined && liveness === "live") return;
        this.skipDamage(stop);
      }
      if (following === undefined) return;
      this.cursor = firstOf(following);
    }
  }

  /** Keeps the cursor on an existing segment; false when there is none at or after it yet. */
  private moveToExisting(segments: number[]): boolean {
    if (segments.includes(this.cursor.segment)) return true;
    const later = segments.find((segment) => segment > this.cursor.segment);
    if (later === undefined) return false;
    this.cursor = firstOf(later);
    return true;
  }

  private push(read: SegmentRead): void {
    for (const raw of read.records) this.items.push(this.toItem(raw));
    this.cursor = read.next;
  }

  private toItem(raw: RawRecord): UnparsedItem {
    const { segment } = this.cursor;
    const origin = {
      writer: this.writer,
      segment: segmentFileName(segment),
      offset: raw.offset,
      seq: raw.seq,
    };
    const next = { segment, offset: raw.offset + FRAME_HEADER_BYTES + raw.payload.length, seq: raw.seq + 1 };
    return { kind: "unparsed", payload: raw.payload, origin, next };
  }

  private skipDamage(stop: Extract<SegmentRead["stop"], { kind: "damaged" }>): void {
    const damage: SpoolDamage = {
      writer: this.writer,
      segment: segmentFileName(this.cursor.segment),
      offset: stop.offset,
      bytes: stop.size - stop.offset,
      kind: stop.damage,
      reason: stop.reason,
    };
    this.cursor = { ...this.cursor, offset: stop.size };
    this.items.push({ kind: "damage", damage, next: this.cursor });
  }

  private segmentPath(): string {
    return join(this.directory, segmentFileName(this.cursor.segment));
  }
}

function parsedItem({ payload, origin, next }: UnparsedItem): FeedItem {
  const parsed = parseEvent(payload);
  if (parsed.ok) return { kind: "record", record: { event: parsed.event, payload, origin }, next };
  return { kind: "poison", poison: { payload, error: parsed.error, origin }, next };
}

function firstOf(segment: number): SegmentCursor {
  return { segment, offset: 0, seq: segment };
}
