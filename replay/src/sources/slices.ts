/**
 * A window of stored calls cut into slices of at most so many rows, from the histogram of its
 * calls by hour (and, for an hour busier than a slice, by minute): what bounds replay's memory
 * whatever the window. Pure: the histograms come from the store (store.ts).
 */
import type { ReplayWindow } from "../recorded.js";

const HOUR = 3_600_000;

/**
 * The first slice holds at most this share of a slice: nothing is decided before it has been
 * read, so a smaller one starts the deciding sooner, and the next, full slice is read meanwhile.
 */
const FIRST_SLICE_SHARE = 4;

/** Calls of one bucket of time (an hour, a minute) that starts at `start`, epoch ms. */
export interface Bucket {
  start: number;
  rows: number;
}

/** The histogram of one busy hour by minute: asked only for hours that hold more than a slice. */
export type MinutesOf = (hour: ReplayWindow) => Promise<Bucket[]>;

/**
 * Consecutive hours grouped up to `sliceRows` (the first slice up to a quarter of that, or one
 * hour); an hour busier than a slice is split by its minutes.
 */
export async function slicesOf(
  range: ReplayWindow,
  hours: readonly Bucket[],
  sliceRows: number,
  minutesOf: MinutesOf,
): Promise<ReplayWindow[]> {
  const slices: ReplayWindow[] = [];
  const limit = () => (slices.length === 0 ? Math.ceil(sliceRows / FIRST_SLICE_SHARE) : sliceRows);
  let open: { from: number; rows: number } | undefined;
  for (const hour of hours) {
    const start = Math.max(range.from, hour.start);
    const end = Math.min(range.to, hour.start + HOUR);
    if (open !== undefined && open.rows + hour.rows > limit()) {
      slices.push({ from: open.from, to: start });
      open = undefined;
    }
    if (hour.rows > sliceRows) {
      const busy = { from: start, to: end };
      addMinuteSlices(slices, busy, await minutesOf(busy), limit);
      continue;
    }
    open =
      open === undefined
        ? { from: start, rows: hour.rows }
        : { from: open.from, rows: open.rows + hour.rows };
  }
  if (open !== undefined) slices.push({ from: open.from, to: range.to });
  return slices;
}

/** A busy hour's minutes grouped up to the limit; a minute is never split. */
function addMinuteSlices(
  slices: ReplayWindow[],
  hour: ReplayWindow,
  minutes: readonly Bucket[],
  limit: () => number,
): void {
  let from = hour.from;
  let rows = 0;
  for (const minute of minutes) {
    const start = Math.max(hour.from, minute.start);
    if (rows > 0 && rows + minute.rows > limit()) {
      slices.push({ from, to: start });
      from = start;
      rows = 0;
    }
    rows += minute.rows;
  }
  slices.push({ from, to: hour.to });
}

/** Several histograms as one (a share of gateway instances), bucket by bucket, in time order. */
export function addHistograms(histograms: readonly (readonly Bucket[])[]): Bucket[] {
  const rows = new Map<number, number>();
  for (const histogram of histograms) {
    for (const bucket of histogram) rows.set(bucket.start, (rows.get(bucket.start) ?? 0) + bucket.rows);
  }
  return [...rows].map(([start, count]) => ({ start, rows: count })).sort((a, b) => a.start - b.start);
}
