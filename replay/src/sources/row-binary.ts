/**
 * ClickHouse's RowBinary format, read straight from the result's bytes: numbers need no text
 * formatting in ClickHouse nor parsing here, and a field can be skipped or read later by offset.
 * Little-endian fixed-width numbers; a String is its length (unsigned LEB128) and then its bytes.
 */

/** UInt64 values replay reads (sequence numbers, 53-bit hashes) stay below this: exact as numbers. */
const TWO_TO_32 = 4_294_967_296;

export class RowBinaryReader {
  offset = 0;
  private readonly view: DataView;
  private readonly buffer: Buffer;

  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.offset >= this.view.byteLength;
  }

  uint8(): number {
    const value = this.view.getUint8(this.offset);
    this.offset += 1;
    return value;
  }

  /** A UInt64 below 2^53; larger values would lose precision as a number, so they are refused. */
  uint64(): number {
    const low = this.view.getUint32(this.offset, true);
    const high = this.view.getUint32(this.offset + 4, true);
    this.offset += 8;
    if (high >= 0x200000)
      throw new RangeError(`RowBinary: a UInt64 at byte ${this.offset - 8} is 2^53 or more`);
    return high * TWO_TO_32 + low;
  }

  float64(): number {
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  string(): string {
    const length = this.stringLength();
    if (length === 0) return "";
    const text = this.buffer.toString("utf8", this.offset, this.offset + length);
    this.offset += length;
    return text;
  }

  skipString(): void {
    // Not `offset += stringLength()`: that would add to the offset read before the length's bytes.
    const length = this.stringLength();
    this.offset += length;
  }

  private stringLength(): number {
    let length = 0;
    let shift = 0;
    for (;;) {
      const byte = this.view.getUint8(this.offset);
      this.offset += 1;
      length += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) break;
      shift += 7;
    }
    if (this.offset + length > this.view.byteLength) {
      throw new RangeError(`RowBinary: a String at byte ${this.offset} runs past the end of the result`);
    }
    return length;
  }
}
