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

  uint16(): number {
    const value = this.view.getUint16(this.offset, true);
    this.offset += 2;
    return value;
  }

  uint32(): number {
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
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

/** Bytes per value of the types replay reads in Native blocks; 0 for those of varying size. */
const WIDTHS: Readonly<Record<string, number>> = {
  UInt8: 1,
  UInt64: 8,
  Float64: 8,
  String: 0,
  "LowCardinality(String)": 0,
};

/**
 * Reads a Native block's column header (its name and type) and checks the type: a query and the
 * code that reads its answer must agree column by column. Returns the bytes per value, or 0 for a
 * type of varying size (String, LowCardinality(String)).
 */
export function nativeColumn(reader: BinaryReader, expected: string): number {
  const name = reader.string();
  const type = reader.string();
  if (type !== expected) {
    throw new Error(`Native result: column ${name} is ${type}, where ${expected} was expected`);
  }
  const width = WIDTHS[type];
  if (width === undefined) throw new Error(`Native result: column ${name} has type ${type}, not read here`);
  return width;
}

/** LowCardinality's flags in a Native block: the block carries its own dictionary (additional keys). */
const HAS_ADDITIONAL_KEYS = 1 << 9;
const NEEDS_GLOBAL_DICTIONARY = 1 << 8;
/** Bytes per index by LowCardinality's index type (the serialization type's low byte). */
const INDEX_WIDTHS = [1, 2, 4, 8];

/**
 * A Native block's LowCardinality(String) values, after the column's header: its dictionary
 * decoded once, and each row's number in it written to `indexes` from `first` on. ClickHouse writes
 * a version, a serialization type (index width and flags), the dictionary's size and strings, the
 * row count and the rows' indexes.
 */
export function readLowCardinality(
  reader: BinaryReader,
  indexes: Int32Array,
  first: number,
  count: number,
): string[] {
  const version = reader.uint64();
  if (version !== 1) throw new Error(`Native result: LowCardinality serialization version ${version}, not 1`);
  const type = reader.uint64();
  const width = INDEX_WIDTHS[type & 0xff];
  if (width === undefined || (type & HAS_ADDITIONAL_KEYS) === 0 || (type & NEEDS_GLOBAL_DICTIONARY) !== 0) {
    throw new Error(`Native result: LowCardinality serialization type ${type} is not read here`);
  }
  const size = reader.uint64();
  const dictionary = Array.from({ length: size }, () => reader.string());
  const rows = reader.uint64();
  if (rows !== count)
    throw new Error(`Native result: LowCardinality has ${rows} rows in a block of ${count}`);
  for (let row = first; row < first + count; row += 1) {
    const index = width === 1 ? reader.uint8() : readIndex(reader, width);
    if (index >= size) throw new Error(`Native result: LowCardinality index ${index} past its ${size} keys`);
    indexes[row] = index;
  }
  return dictionary;
}

function readIndex(reader: BinaryReader, width: number): number {
  if (width === 2) return reader.uint16();
  return width === 4 ? reader.uint32() : reader.uint64();
}
