/** Reads framed records out of one segment file, from a cursor, checking every frame. */
import { type FileHandle, open } from "node:fs/promises";
import {
  checkFrameHeader,
  checksumMatches,
  FRAME_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  SEGMENT_MAGIC,
} from "./format.js";
import { readFully } from "./fsutil.js";

/** Where reading a writer's records continues: a byte offset in a segment, and that record's seq. */
export interface SegmentCursor {
  /** The segment's first sequence number (its file name). */
  readonly segment: number;
  /** Byte offset of the next frame; 0 means the segment header is still to be checked. */
  readonly offset: number;
  /** Writer-local sequence number of the record at `offset`. */
  readonly seq: number;
}

export interface RawRecord {
  offset: number;
  seq: number;
  payload: Buffer;
}

export type SegmentStop =
  /** `maxRecords` read; more may follow. */
  | { kind: "limit" }
  /** Every byte in the file was a whole, valid record. */
  | { kind: "end" }
  /** The bytes from `offset` to `size` are not a valid frame: torn (cut short) or corrupt. */
  | { kind: "damaged"; damage: "torn" | "corrupt"; reason: string; offset: number; size: number };

export interface SegmentRead {
  records: RawRecord[];
  stop: SegmentStop;
  /** Just past the last record read (at the damage, if any). */
  next: SegmentCursor;
}

const CHUNK_BYTES = 1024 * 1024;

export async function readSegment(
  path: string,
  cursor: SegmentCursor,
  maxRecords: number,
): Promise<SegmentRead> {
  const handle = await open(path, "r");
  try {
    const window = new FileWindow(handle, (await handle.stat()).size);
    return await readFrames(window, cursor, maxRecords);
  } finally {
    await handle.close();
  }
}

async function readFrames(window: FileWindow, from: SegmentCursor, maxRecords: number): Promise<SegmentRead> {
  const { size } = window;
  const records: RawRecord[] = [];
  let { offset, seq } = from;
  const at = (): SegmentCursor => ({ segment: from.segment, offset, seq });
  const damaged = (damage: "torn" | "corrupt", reason: string): SegmentRead => ({
    records,
    stop: { kind: "damaged", damage, reason, offset, size },
    next: at(),
  });

  if (offset < SEGMENT_HEADER_BYTES) {
    if (size < SEGMENT_HEADER_BYTES) return damaged("torn", `segment header cut short at ${size} bytes`);
    const magic = await window.load(0, SEGMENT_HEADER_BYTES);
    if (!magic.equals(SEGMENT_MAGIC)) return damaged("corrupt", "not a spool segment (bad magic)");
    offset = SEGMENT_HEADER_BYTES;
  }
  while (records.length < maxRecords) {
    if (offset >= size) return { records, stop: { kind: "end" }, next: at() };
    const headerBytes = Math.min(FRAME_HEADER_BYTES, size - offset);
    // Most frames lie in the chunk already read: only a refill is awaited, not every frame.
    const header = window.view(offset, headerBytes) ?? (await window.load(offset, headerBytes));
    if (header.length < headerBytes) return damaged("torn", "file shrank while being read");
    const check = checkFrameHeader(header, size - offset);
    if (check.kind === "incomplete") return damaged("torn", check.reason);
    if (check.kind === "corrupt") return damaged("corrupt", check.reason);
    const frameBytes = FRAME_HEADER_BYTES + check.payloadLength;
    const frame = window.view(offset, frameBytes) ?? (await window.load(offset, frameBytes));
    if (frame.length < frameBytes) return damaged("torn", "file shrank while being read");
    if (!checksumMatches(frame)) return damaged("corrupt", "checksum mismatch");
    // A copy: the caller may keep the payload long after this chunk is gone.
    records.push({ offset, seq, payload: Buffer.from(frame.subarray(FRAME_HEADER_BYTES)) });
    offset += frameBytes;
    seq += 1;
  }
  return { records, stop: { kind: "limit" }, next: at() };
}

/** Reads a file in large chunks and hands out views of them, so a record costs no system call. */
class FileWindow {
  private chunk = Buffer.alloc(0);
  private chunkStart = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** The bytes if the current chunk holds them all. */
  view(offset: number, length: number): Buffer | undefined {
    const start = offset - this.chunkStart;
    if (start < 0 || start + length > this.chunk.length) return undefined;
    return this.chunk.subarray(start, start + length);
  }

  /** Reads a new chunk from `offset`; shorter than `length` only if the file is. */
  async load(offset: number, length: number): Promise<Buffer> {
    const chunk = Buffer.allocUnsafe(Math.min(this.size - offset, Math.max(length, CHUNK_BYTES)));
    const filled = await readFully(this.handle, chunk, offset);
    this.chunk = chunk.subarray(0, filled);
    this.chunkStart = offset;
    return this.chunk.subarray(0, Math.min(length, filled));
  }
}
