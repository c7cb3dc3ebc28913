import { expect, test } from "vitest";
import { TimelineBuilder } from "../src/timeline.js";

const MINUTE = 60_000;

test("calls count in their bucket, whatever order their times come in, and strays in the nearest one", () => {
  // An hour: one-minute buckets.
  const timeline = new TimelineBuilder({ from: 0, to: 60 * MINUTE });
  timeline.add(30_000, 0, 4); // minute 0
  timeline.add(5 * MINUTE + 1, 0, 0); // minute 5
  timeline.add(59_999, 2, 2); // minute 0 again, after the timeline moved on to minute 5
  timeline.add(-1, 3, 3); // before the window: the first bucket
  timeline.add(2 * 60 * MINUTE, 5, 5); // after it: the last bucket
  const { bucketMs, buckets } = timeline.build();
  expect(bucketMs).toBe(MINUTE);
  expect(buckets).toHaveLength(60);
  expect(buckets[0]).toEqual({ t: 0, before: [1, 0, 1, 1, 0, 0], after: [0, 0, 1, 1, 1, 0] });
  expect(buckets[5]).toEqual({ t: 5 * MINUTE, before: [1, 0, 0, 0, 0, 0], after: [1, 0, 0, 0, 0, 0] });
  expect(buckets[59]).toEqual({ t: 59 * MINUTE, before: [0, 0, 0, 0, 0, 1], after: [0, 0, 0, 0, 0, 1] });
  const total = buckets.reduce((sum, bucket) => sum + bucket.before.reduce((a, b) => a + b, 0), 0);
  expect(total).toBe(5);
});
