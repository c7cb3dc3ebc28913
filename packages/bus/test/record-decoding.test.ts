/**
 * kafkajs's record decoder, as patches/kafkajs+2.2.4.patch changes it: the same records, offsets,
 * timestamps and headers as kafkajs decoded them, in the cases the patch's fast paths leave to
 * kafkajs's own arithmetic (values beyond 2^53, negative deltas) and in its header edge cases;
 * headers are decoded when first read. The
 * test reaches into kafkajs's protocol modules because that is what the patch changes; the Kafka
 * tests (sink, consumer, ingest) cover the same decoder against the real broker.
 */
import { createRequire } from "node:module";
import { describe, expect, test } from "vitest";

const require = createRequire(import.meta.url);

interface DecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}

interface RecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | string[]>;
}

// kafkajs's protocol modules are CommonJS without types: these are the shapes they have.
const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as {
  RecordBatch(batch: {
    firstOffset: unknown;
    firstTimestamp: unknown;
    lastOffsetDelta: number;
    records: unknown[];
  }): Promise<{ buffer: Buffer }>;
};
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (record: RecordInput) => unknown;
const decodeRecordBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (
  decoder: unknown,
) => Promise<{ records: DecodedRecord[] }>;
const Decoder = require("kafkajs/src/protocol/decoder") as new (buffer: Buffer) => unknown;
const Long = require("kafkajs/src/utils/long") as { fromValue(value: string | number): unknown };

async function roundTrip(
  firstOffset: bigint,
  firstTimestamp: bigint,
  records: RecordInput[],
): Promise<DecodedRecord[]> {
  const encoded = await RecordBatch({
    firstOffset: Long.fromValue(firstOffset.toString()),
    firstTimestamp: Long.fromValue(firstTimestamp.toString()),
    lastOffsetDelta: records.length - 1,
    records: records.map(Record),
  });
  const { records: decoded } = await decodeRecordBatch(new Decoder(encoded.buffer));
  return decoded;
}

const value = Buffer.from('{"type":"call.decided"}');

describe("kafkajs's record decoder, patched", () => {
  test("offsets and timestamps are the batch's first plus each record's deltas", async () => {
    const records = await roundTrip(
      1_234_567n,
      1_765_000_000_000n,
      [0, 1, 2, 300_000].map((delta) => ({ offsetDelta: delta, timestampDelta: delta * 3, value })),
    );
    expect(records.map((record) => [record.offset, record.timestamp])).toEqual([
      ["1234567", "1765000000000"],
      ["1234568", "1765000000003"],
      ["1234569", "1765000000006"],
      ["1534567", "1765000900000"],
    ]);
  });

  test("a negative timestamp delta and one beyond 7 bytes of varlong", async () => {
    const farDelta = 2 ** 50; // 8 bytes as a zigzag varlong: kafkajs's own reader takes it
    const records = await roundTrip(0n, 1_765_000_000_000n, [
      { offsetDelta: 0, timestampDelta: -5, value },
      { offsetDelta: 1, timestampDelta: farDelta, value },
      { offsetDelta: 2, timestampDelta: -farDelta, value },
    ]);
    expect(records.map((record) => record.timestamp)).toEqual([
      "1764999999995",
      String(1_765_000_000_000n + BigInt(farDelta)),
      String(1_765_000_000_000n - BigInt(farDelta)),
    ]);
  });

  test("offsets and timestamps beyond 2^53 are exact", async () => {
    const firstOffset = 2n ** 62n + 7n;
    const firstTimestamp = 2n ** 60n + 1n;
    const records = await roundTrip(firstOffset, firstTimestamp, [
      { offsetDelta: 0, timestampDelta: 0, value },
      { offsetDelta: 9, timestampDelta: 11, value },
    ]);
    expect(records.map((record) => [record.offset, record.timestamp])).toEqual([
      [String(firstOffset), String(firstTimestamp)],
      [String(firstOffset + 9n), String(firstTimestamp + 11n)],
    ]);
  });

  test("batches one after the other each use their own first offset", async () => {
    const first = await roundTrip(100n, 5_000n, [{ offsetDelta: 0, timestampDelta: 0, value }]);
    const second = await roundTrip(900n, 7_000n, [{ offsetDelta: 1, timestampDelta: 1, value }]);
    expect([first[0]?.offset, first[0]?.timestamp]).toEqual(["100", "5000"]);
    expect([second[0]?.offset, second[0]?.timestamp]).toEqual(["901", "7001"]);
  });

  test("headers: one value each, a repeated key's values in order, keys Object.prototype has", async () => {
    const [record] = await roundTrip(0n, 0n, [
      {
        offsetDelta: 0,
        timestampDelta: 0,
        key: Buffer.from("session-1"),
        value,
        headers: {
          "tollgate-event-type": "call.decided",
          repeated: ["a", "b", "c"],
          toString: "not the prototype's",
          ["__proto__"]: "an own key",
        },
      },
    ]);
    const headers = record?.headers ?? {};
    expect(Object.getPrototypeOf(headers)).toBe(Object.prototype);
    expect(Object.keys(headers).sort()).toEqual(
      ["__proto__", "repeated", "toString", "tollgate-event-type"].sort(),
    );
    const text = (header: Buffer | Buffer[] | undefined) =>
      Array.isArray(header) ? header.map(String) : String(header);
    expect(text(headers["tollgate-event-type"])).toBe("call.decided");
    expect(text(headers.repeated)).toEqual(["a", "b", "c"]);
    expect(text(headers.toString as unknown as Buffer)).toBe("not the prototype's");
    expect(text(Object.getOwnPropertyDescriptor(headers, "__proto__")?.value)).toBe("an own key");
    expect(String(record?.key)).toBe("session-1");
  });

  test("headers are decoded when first read, and a consumer may replace them", async () => {
    const records = await roundTrip(0n, 0n, [
      { offsetDelta: 0, timestampDelta: 0, value, headers: { a: "1" } },
      { offsetDelta: 1, timestampDelta: 0, value, headers: { b: "2" } },
    ]);
    const [first, second] = records as [DecodedRecord, DecodedRecord];
    expect(String(first.headers.a)).toBe("1");
    expect(first.headers).toBe(first.headers); // decoded once
    second.headers = { replaced: Buffer.from("yes") };
    expect(Object.keys(second.headers)).toEqual(["replaced"]);
    // An accessor of the record, not an own property: a spread copy leaves it out.
    expect("headers" in first).toBe(true);
    expect(Object.keys(first)).not.toContain("headers");
  });

  test("a record without key, value or headers", async () => {
    const [record] = await roundTrip(5n, 6n, [{ offsetDelta: 0, timestampDelta: 0, key: null, value: null }]);
    expect(record).toMatchObject({ offset: "5", timestamp: "6", key: null, value: null, headers: {} });
  });
});
