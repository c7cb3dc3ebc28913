import { describe, expect, it } from "vitest";
import { BinaryReader, nativeColumn } from "../src/sources/binary-reader.js";

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
