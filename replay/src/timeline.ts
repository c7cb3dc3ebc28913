/**
 * Decisions over time, before and after, for the report's chart: a fixed number of buckets whose
 * width is a round duration, so a week shows hours and an hour shows minutes.
 */
import { addCounts, CATEGORIES } from "./categories.js";
import type { ReplayWindow } from "./recorded.js";

export interface TimelineBucket {
  /** Bucket start, epoch ms. */
  t: number;
  /** Calls per category, indexed like the report's `categories`. */
  before: number[];
  after: number[];
}

export interface Timeline {
  bucketMs: number;
  buckets: TimelineBucket[];
}

const MINUTE = 60_000;
const ROUND_WIDTHS = [
  MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  60 * MINUTE,
  3 * 60 * MINUTE,
  6 * 60 * MINUTE,
  24 * 60 * MINUTE,
  7 * 24 * 60 * MINUTE,
];
const MOST_BUCKETS = 200;

export function bucketWidth(window: ReplayWindow): number {
  const span = Math.max(1, window.to - window.from);
  return ROUND_WIDTHS.find((width) => span / width <= MOST_BUCKETS) ?? Math.ceil(span / MOST_BUCKETS);
}

export class TimelineBuilder {
  private readonly bucketMs: number;
  private readonly start: number;
  private readonly buckets: TimelineBucket[];
  /** The bucket of the last call: calls come in time order per instance, so mostly the same one. */
  private current: TimelineBucket;

  constructor(window: ReplayWindow) {
    this.bucketMs = bucketWidth(window);
    this.start = Math.floor(window.from / this.bucketMs) * this.bucketMs;
    const count = Math.max(1, Math.ceil((window.to - this.start) / this.bucketMs));
    this.buckets = Array.from({ length: count }, (_, index) => ({
      t: this.start + index * this.bucketMs,
      before: CATEGORIES.map(() => 0),
      after: CATEGORIES.map(() => 0),
    }));
    this.current = this.buckets[0] as TimelineBucket;
  }

  /** A call at `at`, its categories before and after given by their index in CATEGORIES. */
  add(at: number, before: number, after: number): void {
    let bucket = this.current;
    if (at < bucket.t || at >= bucket.t + this.bucketMs) {
      bucket = this.bucketAt(at);
      this.current = bucket;
    }
    bucket.before[before] = (bucket.before[before] ?? 0) + 1;
    bucket.after[after] = (bucket.after[after] ?? 0) + 1;
  }

  build(): Timeline {
    return { bucketMs: this.bucketMs, buckets: this.buckets };
  }

  /** A copy: the counts go on changing as calls are added, the parts must not. */
  parts(): Timeline {
    return {
      bucketMs: this.bucketMs,
      buckets: this.buckets.map((bucket) => ({
        t: bucket.t,
        before: [...bucket.before],
        after: [...bucket.after],
      })),
    };
  }

  /** Adds another builder's counts; the same window gives the same buckets, so they add one to one. */
  absorb(parts: Timeline): void {
    const sameBuckets =
      parts.bucketMs === this.bucketMs &&
      parts.buckets.length === this.buckets.length &&
      parts.buckets[0]?.t === this.start;
    if (!sameBuckets) {
      throw new Error("timeline: cannot absorb the counts of another window");
    }
    parts.buckets.forEach((bucket, index) => {
      const mine = this.buckets[index] as TimelineBucket;
      addCounts(mine.before, bucket.before);
      addCounts(mine.after, bucket.after);
    });
  }

  /** Calls outside the window's buckets (a warm-up straggler) count in the nearest one. */
  private bucketAt(at: number): TimelineBucket {
    const index = Math.min(
      this.buckets.length - 1,
      Math.max(0, Math.floor((at - this.start) / this.bucketMs)),
    );
    return this.buckets[index] as TimelineBucket;
  }
}
