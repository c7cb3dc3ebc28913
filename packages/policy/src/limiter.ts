/**
 * Rate-limit counters.
 *
 * Sliding log (the default): a call is allowed when fewer than `max` allowed calls of its counter key
 * fall in the half-open interval (now − W, now]. This gives, exactly, "at most max allowed calls in
 * every interval of length W". Only the last `max` allowed times can matter, so a key keeps a ring of
 * at most `max` timestamps: memory per key is O(max).
 *
 * Fixed window (`algorithm: fixed`): calendar windows [kW, (k+1)W) counted from the epoch; at most
 * max allowed calls per calendar window, hence up to 2×max in an interval of length W that straddles
 * a boundary. Memory per key is O(1).
 *
 * Time never goes backwards for a key: a call stamped earlier than the latest time the key counted
 * is treated as happening at that latest time. That keeps the ring sorted and can only count a call
 * for longer, never shorter, so the limit's bound still holds when clocks step back.
 */
import type { CounterUse, Scope } from "./types.js";

export interface CompiledLimit {
  /** Rule id of the limit: `tools.k8s_pod_exec.limits[0]`. */
  id: string;
  counter: string;
  windowMs: number;
  max: number;
  scope: Scope;
  algorithm: "sliding" | "fixed";
  /** `rate limit "exec" allows 10 calls per minute per grant`: built once, not per decision. */
  description: string;
}

interface SlidingLog {
  kind: "sliding";
  /** Ring of allowed-call times, oldest at `start`, non-decreasing. */
  times: Float64Array;
  start: number;
  size: number;
  windowMs: number;
}

interface FixedWindow {
  kind: "fixed";
  index: number;
  count: number;
  windowMs: number;
}

export type CounterLog = SlidingLog | FixedWindow;

/**
 * All counters of one world (live, or shadow): counter name → subject → log. Two lookups with the
 * strings the call already holds are cheaper than building a combined key string per call.
 */
export type CounterTable = Map<string, Map<string, CounterLog>>;

export function counterLog(table: CounterTable, counter: string, subject: string): CounterLog | undefined {
  return table.get(counter)?.get(subject);
}

/** How many counter keys (counter, subject) the table holds. */
export function counterKeys(table: CounterTable): number {
  let keys = 0;
  for (const subjects of table.values()) keys += subjects.size;
  return keys;
}

/** How many allowed calls the counter already holds in the window that contains `now`. */
export function usedInWindow(log: CounterLog | undefined, windowMs: number, now: number): number {
  if (log === undefined) return 0;
  if (log.kind === "fixed") {
    const index = Math.max(Math.floor(now / windowMs), log.index);
    return index === log.index ? log.count : 0;
  }
  if (log.size === 0) return 0;
  const effectiveNow = Math.max(now, newest(log));
  return log.size - countAtOrBefore(log, effectiveNow - windowMs);
}

/** Counts a now-allowed call. Takes ownership of the table (mutates it in place). */
export function record(table: CounterTable, use: CounterUse, now: number): void {
  let subjects = table.get(use.counter);
  if (subjects === undefined) {
    subjects = new Map();
    table.set(use.counter, subjects);
  }
  const key = use.subject;
  const existing = subjects.get(key);
  if (use.algorithm === "fixed") {
    const index = Math.floor(now / use.windowMs);
    if (existing?.kind === "fixed" && existing.index >= index) {
      existing.count += 1;
    } else {
      subjects.set(key, { kind: "fixed", index, count: 1, windowMs: use.windowMs });
    }
    return;
  }
  const log = existing?.kind === "sliding" ? existing : newSlidingLog(use.max, use.windowMs);
  if (log !== existing) subjects.set(key, log);
  const at = log.size === 0 ? now : Math.max(now, newest(log));
  if (log.size < log.times.length) {
    log.times[slot(log, log.size)] = at;
    log.size += 1;
  } else {
    log.times[log.start] = at;
    log.start = slot(log, 1);
  }
}

/** Drops counters that can no longer affect any decision at or after `now`: bounded memory over time. */
export function prune(table: CounterTable, now: number): void {
  for (const [counter, subjects] of table) {
    for (const [subject, log] of subjects) {
      const stale =
        log.kind === "fixed" ? Math.floor(now / log.windowMs) > log.index : newest(log) <= now - log.windowMs;
      if (stale) subjects.delete(subject);
    }
    if (subjects.size === 0) table.delete(counter);
  }
}

export function cloneTable(table: CounterTable): CounterTable {
  const copy: CounterTable = new Map();
  for (const [counter, subjects] of table) {
    const copied = new Map<string, CounterLog>();
    for (const [subject, log] of subjects) {
      copied.set(subject, log.kind === "fixed" ? { ...log } : { ...log, times: log.times.slice() });
    }
    copy.set(counter, copied);
  }
  return copy;
}

function newSlidingLog(max: number, windowMs: number): SlidingLog {
  return { kind: "sliding", times: new Float64Array(max), start: 0, size: 0, windowMs };
}

function newest(log: SlidingLog): number {
  return log.times[slot(log, log.size - 1)] as number;
}

/**
 * Where the ring holds its `position`th oldest entry (0 ≤ position < the ring's length). A compare
 * rather than `%`: without an integer division per probe of the search, the decider's bench ran a
 * fifth faster on sliding logs (docs/PERFORMANCE.md, replay, sixth session).
 */
function slot(log: SlidingLog, position: number): number {
  const index = log.start + position;
  return index < log.times.length ? index : index - log.times.length;
}

/** Number of entries with time ≤ bound; the ring is sorted, so binary search. */
function countAtOrBefore(log: SlidingLog, bound: number): number {
  let low = 0;
  let high = log.size;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const time = log.times[slot(log, mid)] as number;
    if (time <= bound) low = mid + 1;
    else high = mid;
  }
  return low;
}
