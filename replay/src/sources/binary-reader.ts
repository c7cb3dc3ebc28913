/**
 * Values as ClickHouse's binary formats write them, read straight from the result's bytes: numbers
 * need no text formatting in ClickHouse nor parsing here, and a value can be skipped or read later
 * by offset. Little-endian fixed-width numbers; a String is its length (unsigned LEB128) and then
 * its bytes. RowBinary writes them row after row; Native writes blocks, each a row count and then
 * every column's values together, after the column's name and type (`nativeColumn`).
 */

/** UInt64 values replay reads (sequence numbers, 53-bit hashes) stay below this: exact as numbers. */
const TWO_TO_32 = 4_294_967_296;

export class BinaryReader {
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
    if (high >= 0x200000) throw new RangeError(`a UInt64 at byte ${this.offset - 8} is 2^53 or more`);
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

  /** An unsigned LEB128 number: a String's length, a Native block's column and row counts. */
  varUInt(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.view.getUint8(this.offset);
      this.offset += 1;
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  }

  private stringLength(): number {
    const length = this.varUInt();
    if (this.offset + length > this.view.byteLength) {
      throw new RangeError(`a String at byte ${this.offset} runs past the end of the result`);
    }
    return length;
  }
}

/** Bytes per value of the fixed-width types replay reads in Native blocks. */
const FIXED_WIDTHS: Readonly<Record<string, number>> = { UInt8: 1, UInt64: 8, Float64: 8 };

/**
 * Reads a Native block's column header (its name and type) and checks the type: a query and the
 * code that reads its answer must agree column by column. Returns the bytes per value, or 0 for a
 * String column.
 */
export function nativeColumn(reader: BinaryReader, expected: string): number {
  const name = reader.string();
  const type = reader.string();
  if (type !== expected) {
    throw new Error(`Native result: column ${name} is ${type}, where ${expected} was expected`);
  }
  if (type === "String") return 0;
  const width = FIXED_WIDTHS[type];
  if (width === undefined) throw new Error(`Native result: column ${name} has type ${type}, not read here`);
  return width;
}
