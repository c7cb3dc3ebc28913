/**
 * The spool's bytes on disk. A segment file starts with an 8-byte magic that names the format
 * version, then holds records back to back, each framed as
 *
 *   u32 BE payload length | u32 BE CRC32 of (length field + payload) | payload (a serialized event)
 *
 * The CRC covers the length field too, so a torn or bit-flipped header is caught rather than
 * sending the reader off to a wrong offset. Segment files are named after the writer-local
 * sequence number of their first record, zero-padded so names sort in record order.
 */
import { crc32 } from "node:zlib";

export const SEGMENT_MAGIC = Buffer.from("TGSPOOL\x01", "latin1");
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length;
export const FRAME_HEADER_BYTES = 8;
/** Far above any real event; a larger length field means the header is garbage, not a big record. */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

const SEGMENT_SUFFIX = ".seg";
const SEQ_DIGITS = 16;

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, FRAME_HEADER_BYTES);
  frame.writeUInt32BE(frameChecksum(frame.subarray(0, 4), payload), 4);
  return frame;
}

export function frameChecksum(lengthField: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthField));
}

export type FrameCheck =
  | { kind: "frame"; payloadLength: number }
  | { kind: "incomplete"; reason: string }
  | { kind: "corrupt"; reason: string };

/**
 * Judges the frame header at the start of `header` (8 bytes) given how many bytes the file still
 * holds from there; the CRC itself is checked once the payload is in hand (`checksumMatches`).
 */
export function checkFrameHeader(header: Uint8Array, bytesLeft: number): FrameCheck {
  if (bytesLeft < FRAME_HEADER_BYTES)
    return { kind: "incomplete", reason: `${bytesLeft} bytes where a frame header needs 8` };
  const view = Buffer.from(header.buffer, header.byteOffset, FRAME_HEADER_BYTES);
  const payloadLength = view.readUInt32BE(0);
  if (payloadLength > MAX_RECORD_BYTES)
    return { kind: "corrupt", reason: `length field ${payloadLength} exceeds ${MAX_RECORD_BYTES} bytes` };
  const needed = FRAME_HEADER_BYTES + payloadLength;
  if (needed > bytesLeft)
    return { kind: "incomplete", reason: `frame of ${needed} bytes, only ${bytesLeft} bytes written` };
  return { kind: "frame", payloadLength };
}

export function checksumMatches(frame: Uint8Array): boolean {
  const view = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  const stored = view.readUInt32BE(4);
  return stored === frameChecksum(view.subarray(0, 4), view.subarray(FRAME_HEADER_BYTES));
}

export function segmentFileName(firstSeq: number): string {
  return `${String(firstSeq).padStart(SEQ_DIGITS, "0")}${SEGMENT_SUFFIX}`;
}

/** The first sequence number a segment file name stands for, or undefined for any other file. */
export function segmentFirstSeq(fileName: string): number | undefined {
  if (!fileName.endsWith(SEGMENT_SUFFIX)) return undefined;
  const digits = fileName.slice(0, -SEGMENT_SUFFIX.length);
  if (!/^\d+$/.test(digits)) return undefined;
  return Number(digits);
}
