import { appendFile, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { serializeEvent, type TollgateEvent } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import {
  encodeFrame,
  FRAME_HEADER_BYTES,
  SpoolFullError,
  SpoolLockedError,
  SpoolReader,
  SpoolSink,
  SpoolWriter,
  spoolBytes,
} from "../src/spool/index.js";
import { chainedEvents, publishAll, readAll, withTempSpool } from "./spool-fixtures.js";

function writerPath(spool: string, writer: string): string {
  return join(spool, "writers", writer);
}

async function segmentsOf(spool: string, writer: string): Promise<string[]> {
  return (await readdir(writerPath(spool, writer))).filter((name) => name.endsWith(".seg")).sort();
}

const bytesOf = (event: TollgateEvent) => Buffer.from(serializeEvent(event), "utf8");

describe("spool round trip", () => {
  test("10,000 events come back byte-exact and in order, across rolled segments", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 10_000);
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 1024 * 1024 });
      await publishAll((event) => sink.publish(event), events, 256);
      await sink.close();
      expect((await segmentsOf(spool, sink.writer.id)).length).toBeGreaterThan(3);

      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader, 1000);
      expect(read.poison).toEqual([]);
      expect(read.damage).toEqual([]);
      expect(read.records).toHaveLength(events.length);
      read.records.forEach((record, index) => {
        expect(record.payload.equals(bytesOf(events[index]!))).toBe(true);
        expect(record.origin.seq).toBe(index);
      });
      expect(read.records.map((record) => record.event)).toEqual(events);
      await reader.close();
    });
  });

  test("two writers are merged by event time, each in its own order", async () => {
    await withTempSpool(async (spool) => {
      const even = chainedEvents("gw-even", 50, 1000, 2);
      const odd = chainedEvents("gw-odd", 50, 1001, 2);
      for (const [name, events] of [
        ["gw-even", even],
        ["gw-odd", odd],
      ] as const) {
        const sink = await SpoolSink.open(spool, { name, segmentBytes: 4096 });
        await publishAll((event) => sink.publish(event), events);
        await sink.close();
      }
      const reader = await SpoolReader.open(spool);
      const times = (await readAll(reader, 7)).records.map((record) => record.event.time);
      expect(times).toEqual(Array.from({ length: 100 }, (_, n) => 1000 + n));
      await reader.close();
    });
  });

  test("readEach hands over the records read would return, in its order, with the same rest", async () => {
    await withTempSpool(async (spool) => {
      const even = chainedEvents("gw-even", 40, 1000, 2);
      const odd = chainedEvents("gw-odd", 40, 1001, 2);
      const writer = await SpoolWriter.open(spool, { name: "gw-even", segmentBytes: 4096 });
      for (const [index, event] of even.entries()) {
        await writer.append(bytesOf(event));
        if (index === 10) await writer.append(Buffer.from("not json", "utf8"));
      }
      await writer.close();
      const sink = await SpoolSink.open(spool, { name: "gw-odd", segmentBytes: 4096 });
      await publishAll((event) => sink.publish(event), odd);
      await sink.close();

      const first = await SpoolReader.open(spool);
      const read = await first.read(50);
      await first.close();
      const second = await SpoolReader.open(spool);
      const handed: number[] = [];
      const rest = await second.readEach(50, (record) => handed.push(record.event.time));
      await second.close();

      expect(handed).toEqual(read.records.map((record) => record.event.time));
      expect(handed).toHaveLength(49);
      expect(rest.poison.map((poison) => poison.payload.toString("utf8"))).toEqual(["not json"]);
      expect(rest).toEqual({ poison: read.poison, damage: read.damage, position: read.position });
    });
  });
});

describe("sharing the event loop", () => {
  test("a large batch lets other work run while its records are handed over", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 1_000);
      const sink = await SpoolSink.open(spool, { name: "gw-a" });
      await publishAll((event) => sink.publish(event), events, 256);
      await sink.close();
      const reader = await SpoolReader.open(spool);
      // Work queued once the first record is handed over, as a gateway's request in `tollgate up`
      // would be: it runs before the batch's last record, not after the whole batch.
      let handed = 0;
      let handedWhenOtherWorkRan: number | undefined;
      await reader.readEach(1_000, () => {
        if (handed === 0) setImmediate(() => (handedWhenOtherWorkRan = handed));
        handed += 1;
      });
      await reader.close();
      expect(handed).toBe(1_000);
      expect(handedWhenOtherWorkRan).toBeGreaterThan(0);
      expect(handedWhenOtherWorkRan).toBeLessThan(1_000);
    });
  });
});

describe("damage", () => {
  test("a torn tail loses nothing before it, is reported once, and is skipped for good", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 300);
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 64 * 1024 });
      await publishAll((event) => sink.publish(event), events);
      await sink.close();
      const segments = await segmentsOf(spool, sink.writer.id);
      const last = join(writerPath(spool, sink.writer.id), segments.at(-1)!);
      const lastRecordBytes = FRAME_HEADER_BYTES + bytesOf(events.at(-1)!).length;
      const size = (await stat(last)).size;
      await truncate(last, size - 10); // cut the last record short, as a crash mid-write would

      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader);
      expect(read.records.map((record) => record.event)).toEqual(events.slice(0, -1));
      expect(read.damage).toEqual([
        {
          writer: sink.writer.id,
          segment: segments.at(-1),
          offset: size - lastRecordBytes,
          bytes: lastRecordBytes - 10,
          kind: "torn",
          reason: expect.stringContaining("only"),
        },
      ]);
      await reader.commit(read.position);
      await reader.close();

      const again = await SpoolReader.open(spool);
      const rest = await readAll(again);
      expect(rest.records.length + rest.damage.length).toBe(0);
      await again.close();
    });
  });

  test("a corrupt record in an older segment costs only the rest of that segment", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 60);
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 8 * 1024 });
      await publishAll((event) => sink.publish(event), events);
      await sink.close();
      const [first] = await segmentsOf(spool, sink.writer.id);
      const path = join(writerPath(spool, sink.writer.id), first!);
      const bytes = await readFile(path);
      const secondRecord = 8 + FRAME_HEADER_BYTES + bytesOf(events[0]!).length;
      bytes[secondRecord + FRAME_HEADER_BYTES + 20]! ^= 0xff; // a flipped bit inside its payload
      await writeFile(path, bytes);

      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader);
      expect(read.damage).toEqual([
        expect.objectContaining({ segment: first, offset: secondRecord, kind: "corrupt" }),
      ]);
      const seqs = read.records.map((record) => record.event.chain.seq);
      expect(seqs[0]).toBe(0);
      const resumed = seqs[1]!;
      expect(seqs.slice(1)).toEqual(Array.from({ length: 60 - resumed }, (_, n) => resumed + n));
      await reader.close();
    });
  });

  test("a half-written record at a live writer's tail is waited for, not reported", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 15);
      const sink = await SpoolSink.open(spool, { name: "gw-a" });
      await publishAll((event) => sink.publish(event), events.slice(0, 10));
      const [segment] = await segmentsOf(spool, sink.writer.id);
      const half = encodeFrame(bytesOf(events[10]!)).subarray(0, 100);
      await appendFile(join(writerPath(spool, sink.writer.id), segment!), half);

      const reader = await SpoolReader.open(spool);
      const first = await readAll(reader);
      expect(first.records).toHaveLength(10);
      expect(first.damage).toEqual([]);
      // The writer writes at its own offset, over the half record, as the rest of a real one would.
      await publishAll((event) => sink.publish(event), events.slice(10));
      const second = await readAll(reader);
      expect(second.damage).toEqual([]);
      expect(second.records.map((record) => record.event)).toEqual(events.slice(10));
      await sink.close();
      await reader.close();
    });
  });

  test("poison records come back apart, with their origin, between good ones", async () => {
    await withTempSpool(async (spool) => {
      const [before, after] = chainedEvents("gw-a", 2);
      const writer = await SpoolWriter.open(spool, { name: "gw-a" });
      await writer.append(bytesOf(before!));
      await writer.append(Buffer.from("\u0000garbage{", "utf8"));
      await writer.append(Buffer.from(JSON.stringify({ hello: "world" }), "utf8"));
      await writer.append(bytesOf(after!));
      await writer.close();

      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader);
      expect(read.records.map((record) => record.event)).toEqual([before, after]);
      expect(read.poison.map((poison) => [poison.origin.seq, poison.payload.toString("utf8")])).toEqual([
        [1, "\u0000garbage{"],
        [2, '{"hello":"world"}'],
      ]);
      expect(read.poison[0]!.error).toMatch(/^not JSON/);
      expect(read.poison[1]!.error).toMatch(/^not a tollgate event/);
      const [segment] = await segmentsOf(spool, writer.id);
      const origin = read.poison[1]!.origin;
      expect(origin).toMatchObject({ writer: writer.id, segment });
      const file = await readFile(join(writerPath(spool, writer.id), segment!));
      expect(file.readUInt32BE(origin.offset)).toBe(17); // the origin's offset is that frame's start
      await reader.commit(read.position);
      await reader.close();
    });
  });
});

describe("checkpoints", () => {
  test("what was not committed is read again; what was committed is not", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-a", 100);
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 16 * 1024 });
      await publishAll((event) => sink.publish(event), events);
      await sink.close();

      const first = await SpoolReader.open(spool);
      expect((await first.read(30)).records.map((r) => r.event)).toEqual(events.slice(0, 30));
      await first.close(); // no commit

      const second = await SpoolReader.open(spool);
      const batch = await second.read(30);
      expect(batch.records.map((r) => r.event)).toEqual(events.slice(0, 30));
      await second.commit(batch.position);
      await second.read(30); // read past the commit, then stop without committing
      await second.close();

      const third = await SpoolReader.open(spool);
      expect((await readAll(third)).records.map((r) => r.event)).toEqual(events.slice(30));
      await third.close();
    });
  });

  test("a second reader on the same spool is refused while the first lives", async () => {
    await withTempSpool(async (spool) => {
      const first = await SpoolReader.open(spool);
      await expect(SpoolReader.open(spool)).rejects.toBeInstanceOf(SpoolLockedError);
      await first.close();
      const second = await SpoolReader.open(spool);
      await second.close();
    });
  });
});

describe("space", () => {
  test("a full spool rejects publishes loudly, naming the limit and the directory", async () => {
    await withTempSpool(async (spool) => {
      const limit = 32 * 1024;
      const events = chainedEvents("gw-a", 200);
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 4096, maxBytes: limit });
      const outcomes = await Promise.allSettled(events.map((event) => sink.publish(event)));
      const accepted = events.filter((_, index) => outcomes[index]!.status === "fulfilled");
      const refusals = outcomes.flatMap((outcome) => (outcome.status === "rejected" ? [outcome.reason] : []));
      expect(accepted.length).toBeGreaterThan(10);
      expect(refusals.length).toBe(events.length - accepted.length);
      expect(refusals.length).toBeGreaterThan(0);
      for (const error of refusals) {
        expect(error).toBeInstanceOf(SpoolFullError);
        expect(error).toMatchObject({ limitBytes: limit, directory: spool });
        expect((error as Error).message).toContain(spool);
        expect((error as Error).message).toContain(String(limit));
      }
      expect(await spoolBytes(spool)).toBeLessThanOrEqual(limit);

      // Exactly the acknowledged events are on disk; once read and committed, there is room again.
      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader);
      expect(read.records.map((record) => record.event)).toEqual(accepted);
      await reader.commit(read.position);
      await expect(sink.publish(events[0]!)).resolves.toBeUndefined();
      await sink.close();
      await reader.close();
    });
  });

  test("consumed segments are deleted after commit; a closed writer goes whole", async () => {
    await withTempSpool(async (spool) => {
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 4096 });
      await publishAll((event) => sink.publish(event), chainedEvents("gw-a", 200));
      const before = await spoolBytes(spool);
      expect((await segmentsOf(spool, sink.writer.id)).length).toBeGreaterThan(10);

      const reader = await SpoolReader.open(spool);
      await reader.commit((await readAll(reader)).position);
      // The live writer keeps only the segment it appends to.
      expect(await segmentsOf(spool, sink.writer.id)).toHaveLength(1);
      expect(await spoolBytes(spool)).toBeLessThan(before / 10);

      await sink.close();
      await reader.commit((await readAll(reader)).position);
      expect(await readdir(join(spool, "writers"))).toEqual([]);
      expect(await spoolBytes(spool)).toBe(0);
      await reader.close();
    });
  });
});
