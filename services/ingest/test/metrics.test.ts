import { expect, test } from "vitest";
import { IngestMetrics } from "../src/index.js";

test("latency quantiles come from the most recent 100,000 events, recorded in constant time", () => {
  const metrics = new IngestMetrics();
  const now = Date.now();
  // 150,000 events: the first 50,000 are 10 s old, the rest 1 s old; only the rest stay in the sample.
  metrics.stored(
    50_000,
    Array.from({ length: 50_000 }, () => now - 10_000),
  );
  metrics.stored(
    100_000,
    Array.from({ length: 100_000 }, () => now - 1_000),
  );
  const p99 = metrics.latency(0.99) ?? Number.NaN;
  expect(p99).toBeGreaterThanOrEqual(1_000);
  expect(p99).toBeLessThan(10_000);
  expect(metrics.eventsStored).toBe(150_000);
  expect(metrics.batchesStored).toBe(2);
});
