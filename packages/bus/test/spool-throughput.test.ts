import { performance } from "node:perf_hooks";
import { describe, expect, test } from "vitest";
import { SpoolReader, SpoolSink } from "../src/spool/index.js";
import { chainedEvents, readAll, withTempSpool } from "./spool-fixtures.js";

// Figures, not limits: they print on every run; the assertion is only that group commit groups.

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);

describe("spool throughput", () => {
  test("publish with fsync group commit (sequential vs 64 concurrent), and read", async () => {
    await withTempSpool(async (spool) => {
      const events = chainedEvents("gw-bench", 22_000);
      const sink = await SpoolSink.open(spool, { name: "gw-bench", segmentBytes: 16 * 1024 * 1024 });

      // One publisher awaiting each publish: every event pays a whole write+fsync.
      const sequential = events.slice(0, 2000);
      let started = performance.now();
      for (const event of sequential) await sink.publish(event);
      const sequentialMs = performance.now() - started;
      const afterSequential = sink.writer.stats();

      // 64 publishers, each awaiting its own: they share each write+fsync.
      const concurrent = events.slice(2000);
      let next = 0;
      const publisher = async () => {
        for (let index = next++; index < concurrent.length; index = next++)
          await sink.publish(concurrent[index]!);
      };
      started = performance.now();
      await Promise.all(Array.from({ length: 64 }, publisher));
      const concurrentMs = performance.now() - started;
      const stats = sink.writer.stats();
      const groups = stats.groups - afterSequential.groups;
      await sink.close();

      const reader = await SpoolReader.open(spool);
      started = performance.now();
      const read = await readAll(reader, 1000);
      const readMs = performance.now() - started;
      await reader.close();

      const figures = {
        "sequential publish (events/s)": perSecond(sequential.length, sequentialMs),
        "64 concurrent publishers (events/s)": perSecond(concurrent.length, concurrentMs),
        "records per fsync, concurrent": Math.round((concurrent.length / groups) * 10) / 10,
        "read incl. CRC + parseEvent (events/s)": perSecond(read.records.length, readMs),
        "MB/s read": Math.round((stats.bytes / 1024 / 1024 / readMs) * 1000),
        "bytes per event on disk": Math.round(stats.bytes / events.length),
      };
      console.info(`[spool throughput] ${JSON.stringify(figures, null, 2)}`);

      expect(afterSequential.groups).toBe(sequential.length);
      expect(groups).toBeLessThan(concurrent.length / 8);
      expect(read.records).toHaveLength(events.length);
    });
  });
});
