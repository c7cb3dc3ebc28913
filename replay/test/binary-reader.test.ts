import { describe, expect, it } from "vitest";
import { BinaryReader, nativeColumn, readLowCardinality } from "../src/sources/binary-reader.js";

function uint64(value: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(value);
  return bytes;
}

function string(text: string): Buffer {
  const body = Buffer.from(text, "utf8");
  const length: number[] = [];
  let left = body.length;
  do {
    length.push((left & 0x7f) | (left >= 0x80 ? 0x80 : 0));
    left >>>= 7;
  } while (left > 0);
  return Buffer.concat([Buffer.from(length), body]);
}

describe("BinaryReader", () => {
  it("reads rows of UInt64, Float64, String and UInt8 as ClickHouse writes them", () => {
    const long = "é".repeat(200); // 400 bytes: a two-byte length
    const float = Buffer.alloc(8);
    float.writeDoubleLE(1793577609676.25);
    const bytes = Buffer.concat([uint64(2n ** 53n - 1n), float, string(long), Buffer.from([3]), string("")]);
    const reader = new BinaryReader(bytes.subarray(0));
    expect(reader.uint64()).toBe(2 ** 53 - 1);
    expect(reader.float64()).toBe(1793577609676.25);
    expect(reader.string()).toBe(long);
    expect(reader.uint8()).toBe(3);
    reader.skipString();
    expect(reader.done).toBe(true);
  });

  it("skips a string with a multi-byte length exactly", () => {
    const reader = new BinaryReader(Buffer.concat([string("x".repeat(300)), Buffer.from([7])]));
    reader.skipString();
    expect(reader.uint8()).toBe(7);
  });

  it("reads from a view into a larger buffer (a pooled Buffer)", () => {
    const whole = Buffer.concat([Buffer.from([9, 9, 9]), uint64(42n)]);
    expect(new BinaryReader(whole.subarray(3)).uint64()).toBe(42);
  });

  it("refuses a UInt64 that a number cannot hold and a string that runs past the end", () => {
    expect(() => new BinaryReader(uint64(2n ** 53n)).uint64()).toThrow(/2\^53 or more/);
    const truncated = string("abcdef").subarray(0, 4);
    expect(() => new BinaryReader(truncated).string()).toThrow(/runs past the end/);
  });
});

describe("nativeColumn", () => {
  const header = (name: string, type: string) => Buffer.concat([string(name), string(type)]);

  it("reads a column's header and gives the bytes per value, 0 for a String", () => {
    const reader = new BinaryReader(Buffer.concat([header("seq", "UInt64"), header("args", "String")]));
    expect(nativeColumn(reader, "UInt64")).toBe(8);
    expect(nativeColumn(reader, "String")).toBe(0);
    expect(reader.done).toBe(true);
  });

  it("names the column whose type differs from the one the reader expects", () => {
    const reader = new BinaryReader(header("decided_at", "Nullable(Float64)"));
    expect(() => nativeColumn(reader, "Float64")).toThrow(
      "Native result: column decided_at is Nullable(Float64), where Float64 was expected",
    );
  });

  it("reads a block's counts as unsigned LEB128", () => {
    const reader = new BinaryReader(Buffer.from([0x07, 0x81, 0xff, 0x03]));
    expect(reader.varUInt()).toBe(7);
    expect(reader.varUInt()).toBe(65_409);
  });
});

describe("readLowCardinality", () => {
  const u64 = (value: number) => uint64(BigInt(value));
  const block = (type: number, keys: string[], indexes: Buffer, rows: number) =>
    Buffer.concat([u64(1), u64(type), u64(keys.length), ...keys.map(string), u64(rows), indexes]);

  it("reads a block's dictionary once and each row's number in it", () => {
    const bytes = block((1 << 9) | (1 << 10) | 1, ["", "a", "b"], Buffer.from([2, 0, 1, 0, 2, 0]), 3);
    const indexes = new Int32Array(5);
    expect(readLowCardinality(new BinaryReader(bytes), indexes, 2, 3)).toEqual(["", "a", "b"]);
    expect([...indexes]).toEqual([0, 0, 2, 1, 2]);
  });

  it("refuses what it cannot read: another version, a global dictionary, an index past the keys", () => {
    const indexes = new Int32Array(1);
    const read = (bytes: Buffer) => () => readLowCardinality(new BinaryReader(bytes), indexes, 0, 1);
    const wrongVersion = Buffer.concat([u64(2), block(1 << 9, [""], Buffer.from([0]), 1).subarray(8)]);
    expect(read(wrongVersion)).toThrow("LowCardinality serialization version 2, not 1");
    expect(read(block((1 << 9) | (1 << 8), [""], Buffer.from([0]), 1))).toThrow(/type 768 is not read here/);
    expect(read(block(1 << 9, ["", "a"], Buffer.from([2]), 1))).toThrow(
      "LowCardinality index 2 past its 2 keys",
    );
    expect(read(block(1 << 9, [""], Buffer.from([0, 0]), 2))).toThrow("has 2 rows in a block of 1");
  });
});
