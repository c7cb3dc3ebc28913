/**
 * The one process that drains a spool (the ingest, or the Kafka sink shipping its buffer). It
 * reads every writer's records in that writer's order, merges writers by event time where both
 * have records at hand, and resumes after its last commit: delivery is at-least-once, so records
 * read but not committed before a crash come again.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { prepareEventChecks } from "@tollgate/events";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { SpoolLockedError } from "./errors.js";
import { START_OF_WRITER, WriterFeed } from "./feed.js";
import { isErrorCode } from "./fsutil.js";
import { listWriters, READER_LOCK, writerDirectory } from "./layout.js";
import { createLock, describeOwner, ownerIsAlive, readLockOwner, releaseLock } from "./locks.js";
import { reclaim } from "./reclaim.js";
import type { SpoolBatch, SpoolBatchRest, SpoolPosition, SpoolRecord } from "./records.js";
import type { SegmentCursor } from "./segment-reader.js";

export const DEFAULT_BATCH_RECORDS = 1000;

/**
 * Records parsed and handed out per turn of the event loop. Parsing a record and encoding its row
 * takes 20-25 µs, so a batch of 5,000 held the loop for 0.1 s, and in `tollgate up` the gateway
 * shares that loop: while ingest caught up on a backlog, the loop's delay reached p99 126-159 ms.
 * A turn every 256 records (about 6 ms) took it to 24-35 ms, at the same rate (docs/PERFORMANCE.md,
 * pipeline, tenth session).
 */
const RECORDS_PER_TURN = 256;

export class SpoolReader {
  private readonly feeds = new Map<string, WriterFeed>();
  /** Per writer, the cursor just past the last item handed out. */
  private readonly delivered: Record<string, SegmentCursor>;
  private closed = false;
  private reading = false;

  private constructor(
    readonly directory: string,
    private readonly lockFile: string,
    private lastCommit: SpoolPosition,
  ) {
    this.delivered = { ...lastCommit.writers };
  }

  /** Takes the spool's reader lock (SpoolLockedError if a live process holds it) and resumes. */
  static async open(directory: string): Promise<SpoolReader> {
    // A reader may start beside a server (ingest in `tollgate up`): compile now, not at a call.
    prepareEventChecks();
    await mkdir(directory, { recursive: true });
    const lockFile = await takeReaderLock(directory);
    try {
      const committed = await loadCheckpoint(directory);
      // A crash between a commit and its reclamation leaves consumed segments behind.
      await reclaim(directory, committed);
      return new SpoolReader(directory, lockFile, committed);
    } catch (error) {
      await releaseLock(lockFile);
      throw error;
    }
  }

  get committed(): SpoolPosition {
    return this.lastCommit;
  }

  /**
   * Up to `maxRecords` items (records, poison, damage) that follow the last batch; empty when
   * nothing new is on disk yet, so poll. Commit the batch's position once its records are safe.
   */
  async read(maxRecords = DEFAULT_BATCH_RECORDS): Promise<SpoolBatch> {
    const records: SpoolRecord[] = [];
    const rest = await this.readEach(maxRecords, (record) => records.push(record));
    return { records, ...rest };
  }

  /**
   * Like `read`, handing each record to `take` as it is read, in the batch's order, instead of
   * keeping them: a caller done with a record when `take` returns (ingest encodes its row) never
   * holds a batch of parsed events.
   */
  async readEach(maxRecords: number, take: (record: SpoolRecord) => void): Promise<SpoolBatchRest> {
    if (this.closed) throw new Error(`spool reader of ${this.directory} is closed`);
    // Two reads at once would fill the same feeds twice and hand out records twice.
    if (this.reading) throw new Error(`spool reader of ${this.directory}: one read at a time`);
    this.reading = true;
    try {
      return await this.readBatch(maxRecords, take);
    } finally {
      this.reading = false;
    }
  }

  private async readBatch(maxRecords: number, take: (record: SpoolRecord) => void): Promise<SpoolBatchRest> {
    const feeds = await this.currentFeeds();
    await Promise.all(feeds.map((feed) => feed.fill(maxRecords)));
    const batch: SpoolBatchRest = { poison: [], damage: [], position: { writers: {} } };
    for (let taken = 0; taken < maxRecords; taken += 1) {
      if (taken > 0 && taken % RECORDS_PER_TURN === 0) await nextTurn();
      const feed = nextFeed(feeds);
      const item = feed?.take();
      if (feed === undefined || item === undefined) break;
      if (item.kind === "record") take(item.record);
      else if (item.kind === "poison") batch.poison.push(item.poison);
      else batch.damage.push(item.damage);
      this.delivered[feed.writer] = item.next;
    }
    // A feed with nothing pending has read all there is: its position moves past empty segments
    // and damage too, so a finished writer can be reclaimed even when it ends in no record.
    for (const feed of feeds) if (feed.pending === 0) this.delivered[feed.writer] = feed.readAhead;
    batch.position = { writers: { ...this.delivered } };
    return batch;
  }

  /** Persists `position` (atomically, fsync'd), then deletes what it has consumed. */
  async commit(position: SpoolPosition): Promise<void> {
    if (this.closed) throw new Error(`spool reader of ${this.directory} is closed`);
    await saveCheckpoint(this.directory, position);
    this.lastCommit = position;
    for (const writer of await reclaim(this.directory, position)) {
      this.feeds.delete(writer);
      delete this.delivered[writer];
    }
  }

  /** Releases the reader lock. Uncommitted records are read again by the next reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseLock(this.lockFile);
  }

  private async currentFeeds(): Promise<WriterFeed[]> {
    const writers = await listWriters(this.directory);
    for (const writer of writers) {
      if (this.feeds.has(writer)) continue;
      const start = this.delivered[writer] ?? START_OF_WRITER;
      this.feeds.set(writer, new WriterFeed(writer, writerDirectory(this.directory, writer), start));
    }
    return writers.map((writer) => this.feeds.get(writer)!);
  }
}

/**
 * The feed whose head goes next: poison and damage at once (they carry no time), otherwise the
 * earliest event. Only heads are compared, so each writer's own order always holds.
 */
function nextFeed(feeds: WriterFeed[]): WriterFeed | undefined {
  let earliest: WriterFeed | undefined;
  let earliestTime = Number.POSITIVE_INFINITY;
  for (const feed of feeds) {
    const head = feed.peek();
    if (head === undefined) continue;
    if (head.kind !== "record") return feed;
    if (head.record.event.time < earliestTime) {
      earliest = feed;
      earliestTime = head.record.event.time;
    }
  }
  return earliest;
}

/**
 * One reader per spool: two would deliver every record twice and race on the checkpoint. A lock
 * left by a dead reader is taken over. (Two readers starting in the same instant after such a
 * crash could both take it over; starting readers is not that kind of race in practice.)
 */
async function takeReaderLock(spool: string): Promise<string> {
  const path = join(spool, READER_LOCK);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      await createLock(path);
      return path;
    } catch (error) {
      if (!isErrorCode(error, "EEXIST")) throw error;
    }
    const owner = await readLockOwner(path);
    if (owner !== undefined && ownerIsAlive(owner)) throw new SpoolLockedError(path, describeOwner(owner));
    await releaseLock(path);
  }
  throw new SpoolLockedError(path, "another reader that keeps taking it");
}
