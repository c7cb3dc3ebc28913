/**
 * Memory for encoded rows, used again once an insert no longer needs it. Each batch's rows took a
 * fresh allocation of 15–30 MB outside V8's heap: V8 counts such memory towards its limit for
 * external memory and made room with full collections, and every page of a fresh allocation
 * faulted in at its first write (docs/PERFORMANCE.md, pipeline step 14).
 */
import type { EventRows } from "./rows.js";

/** Buffers kept for later rows, at most: about four batches of 10,000 events. */
const KEPT_BYTES = 128 * 1024 * 1024;

export class RowBuffers {
  private readonly free: Buffer<ArrayBuffer>[] = [];
  private freeBytes = 0;
  /** Memory this pool handed out and has not had back: the only memory it takes back. */
  private readonly lent = new WeakSet<ArrayBuffer>();

  /** A buffer of at least `bytes`: one given back earlier, or a new one. */
  take(bytes: number): Buffer<ArrayBuffer> {
    const index = this.free.findIndex((buffer) => buffer.length >= bytes);
    const buffer = index >= 0 ? this.reuse(index) : Buffer.allocUnsafeSlow(bytes);
    this.lent.add(buffer.buffer);
    return buffer;
  }

  /**
   * Rows whose insert ClickHouse acknowledged: their memory goes to later rows, so nothing may
   * read them again. Rows this pool did not encode are left alone.
   */
  giveBack(rows: EventRows): void {
    for (const part of rows.parts) this.giveBackMemory(part.buffer);
  }

  private giveBackMemory(memory: ArrayBufferLike): void {
    if (!(memory instanceof ArrayBuffer) || !this.lent.has(memory)) return;
    this.lent.delete(memory);
    if (this.freeBytes + memory.byteLength > KEPT_BYTES) return;
    this.free.push(Buffer.from(memory, 0, memory.byteLength));
    this.freeBytes += memory.byteLength;
  }

  private reuse(index: number): Buffer<ArrayBuffer> {
    const [buffer] = this.free.splice(index, 1) as [Buffer<ArrayBuffer>];
    this.freeBytes -= buffer.length;
    return buffer;
  }
}
