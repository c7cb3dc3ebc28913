/** What a spool reader hands out. */
import type { TollgateEvent } from "@tollgate/events";
import type { SegmentCursor } from "./segment-reader.js";

/** Where a record sits on disk: enough to find it again, or to name it in a dead-letter entry. */
export interface RecordOrigin {
  writer: string;
  /** The segment's file name. */
  segment: string;
  /** Byte offset of the record's frame in the segment. */
  offset: number;
  /** The record's writer-local sequence number. */
  seq: number;
}

export interface SpoolRecord {
  event: TollgateEvent;
  /** The bytes as written: ship these on (to Kafka, say) rather than serializing again. */
  payload: Buffer;
  origin: RecordOrigin;
}

/** A record whose frame is intact but whose payload is not a tollgate event: dead-letter it. */
export interface PoisonRecord {
  payload: Buffer;
  error: string;
  origin: RecordOrigin;
}

/**
 * Bytes at the end of a finished segment that are no record: a torn tail (the writer died
 * mid-write) or corruption. Every record before them is delivered; these bytes are skipped.
 */
export interface SpoolDamage {
  writer: string;
  segment: string;
  offset: number;
  bytes: number;
  kind: "torn" | "corrupt";
  reason: string;
}

/** How far reading has got in each writer. Commit one to resume after it. */
export interface SpoolPosition {
  readonly writers: Readonly<Record<string, SegmentCursor>>;
}

/** What a read found besides its records, and where it leaves the spool. */
export interface SpoolBatchRest {
  poison: PoisonRecord[];
  damage: SpoolDamage[];
  /** The position after everything in this batch. */
  position: SpoolPosition;
}

export interface SpoolBatch extends SpoolBatchRest {
  /** Each writer's records in its order; across writers, merged by event time where both are at hand. */
  records: SpoolRecord[];
}
