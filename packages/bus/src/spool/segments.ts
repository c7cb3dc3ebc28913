/**
 * One writer's side of its segment files: appends frames to the newest segment and rolls to a new
 * one at the size limit. Only its own process ever writes these files.
 */
import { type FileHandle, open } from "node:fs/promises";
import { join } from "node:path";
import { SEGMENT_HEADER_BYTES, SEGMENT_MAGIC, segmentFileName } from "./format.js";
import { syncDirectory, writeFully } from "./fsutil.js";

interface OpenSegment {
  handle: FileHandle;
  size: number;
}

export class SegmentAppender {
  private current: OpenSegment | undefined;
  private nextSeq = 0;
  private syncs = 0;

  constructor(
    private readonly directory: string,
    private readonly segmentBytes: number,
  ) {}

  /** How many times data was fsync'd: with group commit, far fewer than records. */
  get fsyncCount(): number {
    return this.syncs;
  }

  /**
   * Appends frames in order and resolves once they are written and fsync'd. Returns the bytes the
   * segment files grew by (frames plus the headers of segments it started).
   */
  async append(frames: Buffer[]): Promise<number> {
    let next = 0;
    let added = 0;
    try {
      while (next < frames.length) {
        const { segment, headerBytes } = await this.segmentFor(frames[next]!.length);
        added += headerBytes;
        const end = this.fittingEnd(frames, next, segment.size);
        const bytes = end - next === 1 ? frames[next]! : Buffer.concat(frames.slice(next, end));
        await writeFully(segment.handle, bytes, segment.size);
        await segment.handle.datasync();
        this.syncs += 1;
        segment.size += bytes.length;
        added += bytes.length;
        this.nextSeq += end - next;
        next = end;
      }
      return added;
    } catch (error) {
      // After a failed write or fsync the segment's tail is unknown (Linux may even have dropped
      // the dirty pages), so the segment is sealed: the reader reports whatever is torn there, and
      // later records go to a fresh segment. The failed records keep their sequence numbers, since
      // some of them may have reached the disk.
      this.nextSeq += frames.length - next;
      await this.seal().catch(() => undefined);
      throw error;
    }
  }

  async seal(): Promise<void> {
    const segment = this.current;
    this.current = undefined;
    await segment?.handle.close();
  }

  /** Frames from `start` that fit in the segment's remaining room; at least one, however big. */
  private fittingEnd(frames: Buffer[], start: number, size: number): number {
    let end = start + 1;
    let total = size + frames[start]!.length;
    while (end < frames.length && total + frames[end]!.length <= this.segmentBytes) {
      total += frames[end]!.length;
      end += 1;
    }
    return end;
  }

  private async segmentFor(frameBytes: number): Promise<{ segment: OpenSegment; headerBytes: number }> {
    const current = this.current;
    const hasRecords = current !== undefined && current.size > SEGMENT_HEADER_BYTES;
    if (current !== undefined && !(hasRecords && current.size + frameBytes > this.segmentBytes)) {
      return { segment: current, headerBytes: 0 };
    }
    await this.seal();
    this.current = await this.createSegment();
    return { segment: this.current, headerBytes: SEGMENT_HEADER_BYTES };
  }

  private async createSegment(): Promise<OpenSegment> {
    // "wx": a segment is never reopened or overwritten, not even after a crash.
    const handle = await open(join(this.directory, segmentFileName(this.nextSeq)), "wx");
    try {
      await writeFully(handle, SEGMENT_MAGIC, 0);
      await handle.datasync();
      await syncDirectory(this.directory);
    } catch (error) {
      await handle.close();
      throw error;
    }
    return { handle, size: SEGMENT_HEADER_BYTES };
  }
}
