/**
 * A spool writer: one per process, appending byte records to its own segments with group commit.
 * Records that arrive while a write+fsync is under way wait and go to disk together in the next
 * one, so many concurrent callers share each fsync and order is kept: records reach the disk in
 * the order `append` was called.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename } from "node:fs/promises";
import { dirname, join } from "node:path";
import { SpoolClosedError, SpoolFullError } from "./errors.js";
import { encodeFrame, MAX_RECORD_BYTES, SEGMENT_HEADER_BYTES } from "./format.js";
import { syncDirectory } from "./fsutil.js";
import { spoolBytes, WRITER_LOCK, writerDirectory, writersRoot } from "./layout.js";
import { createLock, releaseLock } from "./locks.js";
import { SegmentAppender } from "./segments.js";

export interface SpoolWriterOptions {
  /** Names the writer in its id, e.g. the gateway instance; the pid and random bytes make it unique. */
  name?: string;
  /** A segment rolls once the next record would take it past this size. Default 8 MiB. */
  segmentBytes?: number;
  /** The most the whole spool (all writers) may hold. Default 1 GiB. */
  maxBytes?: number;
  /**
   * How often to re-measure the spool, since other writers grow it and the reader shrinks it.
   * Each writer is exact about its own bytes; others' may overshoot the limit by what they write
   * in this interval. Default 1000 ms.
   */
  usageRefreshMs?: number;
}

export interface SpoolWriterStats {
  records: number;
  bytes: number;
  /** Write+fsync rounds; records / groups is the group-commit factor. */
  groups: number;
  fsyncs: number;
}

interface PendingRecord {
  frame: Buffer;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const DEFAULTS = { segmentBytes: 8 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024, usageRefreshMs: 1000 };

export class SpoolWriter {
  private queue: PendingRecord[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;
  private readonly segments: SegmentAppender;
  private readonly counts = { records: 0, bytes: 0, groups: 0 };
  private usedBytes = 0;
  private measuredAt = Number.NEGATIVE_INFINITY;

  private constructor(
    /** The spool directory. */
    readonly directory: string,
    readonly id: string,
    private readonly options: Required<Omit<SpoolWriterOptions, "name">>,
  ) {
    this.segments = new SegmentAppender(writerDirectory(directory, id), options.segmentBytes);
  }

  static async open(directory: string, options: SpoolWriterOptions = {}): Promise<SpoolWriter> {
    const settings = { ...DEFAULTS, ...withoutUndefined(options) };
    if (!(settings.segmentBytes > SEGMENT_HEADER_BYTES))
      throw new RangeError(`segmentBytes must exceed ${SEGMENT_HEADER_BYTES}`);
    if (!(settings.maxBytes > 0)) throw new RangeError("maxBytes must be positive");
    const id = await claimWriterId(directory, options.name ?? "writer");
    const { name: _name, ...rest } = settings;
    return new SpoolWriter(directory, id, rest);
  }

  /** Resolves once the record is written and fsync'd; rejects with SpoolFullError when it does not fit. */
  append(payload: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new SpoolClosedError(this.directory));
    // The reader takes a longer length field for a damaged header, so such a record could not be read.
    if (payload.length > MAX_RECORD_BYTES)
      return Promise.reject(
        new RangeError(
          `a ${payload.length}-byte record exceeds the ${MAX_RECORD_BYTES} bytes a spool record may hold`,
        ),
      );
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame: encodeFrame(payload), resolve, reject });
      // Started a microtask later, so every append of the current tick joins the first group.
      this.draining ??= Promise.resolve().then(() => this.drain());
    });
  }

  stats(): SpoolWriterStats {
    return { ...this.counts, fsyncs: this.segments.fsyncCount };
  }

  /** Waits for queued records to reach the disk, then releases the writer: its segments are final. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.draining;
    await this.segments.seal();
    await releaseLock(join(writerDirectory(this.directory, this.id), WRITER_LOCK));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.queue;
      this.queue = [];
      await this.commitGroup(group);
    }
    this.draining = undefined;
  }

  private async commitGroup(group: PendingRecord[]): Promise<void> {
    try {
      const admitted = await this.admit(group);
      if (admitted.length === 0) return;
      const added = await this.segments.append(admitted.map((record) => record.frame));
      this.usedBytes += added;
      this.counts.records += admitted.length;
      this.counts.bytes += added;
      this.counts.groups += 1;
      for (const record of admitted) record.resolve();
    } catch (error) {
      // The disk's state is unknown after a failure: measure it afresh before the next group.
      this.measuredAt = Number.NEGATIVE_INFINITY;
      for (const record of group) record.reject(error);
    }
  }

  /** Rejects, loudly and in order, each record that would take the spool past its limit. */
  private async admit(group: PendingRecord[]): Promise<PendingRecord[]> {
    const groupBytes = group.reduce((sum, record) => sum + record.frame.length, 0);
    const stale = Date.now() - this.measuredAt > this.options.usageRefreshMs;
    if (stale || this.usedBytes + groupBytes > this.options.maxBytes) await this.measure();
    const admitted: PendingRecord[] = [];
    let used = this.usedBytes;
    for (const record of group) {
      if (used + record.frame.length > this.options.maxBytes) {
        const { directory } = this;
        record.reject(new SpoolFullError(directory, this.options.maxBytes, used, record.frame.length));
        continue;
      }
      used += record.frame.length;
      admitted.push(record);
    }
    return admitted;
  }

  private async measure(): Promise<void> {
    this.usedBytes = await spoolBytes(this.directory);
    this.measuredAt = Date.now();
  }
}

/**
 * Claims a fresh writer directory: prepared with its lock under a dot-name, then renamed into
 * place, so a reader never sees a writer directory without the lock that says who owns it.
 */
async function claimWriterId(spool: string, name: string): Promise<string> {
  const root = writersRoot(spool);
  await mkdir(root, { recursive: true });
  const id = `${name.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64)}-${process.pid}-${randomBytes(4).toString("hex")}`;
  const staging = join(root, `.${id}`);
  await mkdir(staging);
  await createLock(join(staging, WRITER_LOCK));
  await syncDirectory(staging);
  await rename(staging, writerDirectory(spool, id));
  // The chain up to the spool's parent: any of these directories may have just been created.
  for (const directory of [root, spool, dirname(spool)]) await syncDirectory(directory);
  return id;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
