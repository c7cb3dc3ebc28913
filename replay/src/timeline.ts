/**
 * Decisions over time, before and after, for the report's chart: a fixed number of buckets whose
 * width is a round duration, so a week shows hours and an hour shows minutes.
 */
import { CATEGORIES, CATEGORY_INDEX, type Category } from "./categories.js";
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

  constructor(window: ReplayWindow) {
    this.bucketMs = bucketWidth(window);
    this.start = Math.floor(window.from / this.bucketMs) * this.bucketMs;
    const count = Math.max(1, Math.ceil((window.to - this.start) / this.bucketMs));
    this.buckets = Array.from({ length: count }, (_, index) => ({
      t: this.start + index * this.bucketMs,
      before: CATEGORIES.map(() => 0),
      after: CATEGORIES.map(() => 0),
    }));
  }

  add(at: number, before: Category, after: Category): void {
    const index = Math.min(
      this.buckets.length - 1,
      Math.max(0, Math.floor((at - this.start) / this.bucketMs)),
    );
    const bucket = this.buckets[index] as TimelineBucket;
    bucket.before[CATEGORY_INDEX[before]] = (bucket.before[CATEGORY_INDEX[before]] ?? 0) + 1;
    bucket.after[CATEGORY_INDEX[after]] = (bucket.after[CATEGORY_INDEX[after]] ?? 0) + 1;
  }

  build(): Timeline {
    return { bucketMs: this.bucketMs, buckets: this.buckets };
  }
}
