/**
 * The spool: an append-only, fsync'd segment log on local disk. The embedded default's bus (many
 * gateway processes write, one ingest reads) and the Kafka sink's buffer while the broker is away.
 *
 * What it promises:
 * - `SpoolSink.publish` / `SpoolWriter.append` resolve only after the record is written and
 *   fdatasync'd (new segment files and directories are fsync'd too), so an acknowledged event
 *   survives a process crash or power loss. Concurrent publishes share one write+fsync.
 * - Each writer's records are read back in the order they were appended; writers never share a file.
 * - A full spool rejects with SpoolFullError; nothing is dropped silently.
 * - A torn or corrupt tail is reported (SpoolDamage) and skipped; no record before it is lost.
 * - Reading is at-least-once: a reader resumes after its last commit, so records read but not
 *   committed before a crash come again. Commits are atomic (temp file, fsync, rename).
 * - Records that are not tollgate events come back as PoisonRecords with their origin.
 */
export { SpoolClosedError, SpoolFullError, SpoolLockedError } from "./errors.js";
export { encodeFrame, FRAME_HEADER_BYTES, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC } from "./format.js";
export { spoolBytes } from "./layout.js";
export { DEFAULT_BATCH_RECORDS, SpoolReader } from "./reader.js";
export type {
  PoisonRecord,
  RecordOrigin,
  SpoolBatch,
  SpoolBatchRest,
  SpoolDamage,
  SpoolPosition,
  SpoolRecord,
} from "./records.js";
export type { SegmentCursor } from "./segment-reader.js";
export { SpoolSink } from "./sink.js";
export { SpoolWriter, type SpoolWriterOptions, type SpoolWriterStats } from "./writer.js";
