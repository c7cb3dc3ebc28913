/**
 * Seeded bottom-k sampling: a report's examples are a fair sample of each changed cell, and the same
 * seed over the same calls picks the same examples (a reviewer can rerun and compare). Each call's
 * priority depends only on the seed and the call's (instance, seq), never on the order calls
 * arrive in, so samples kept by separate builders (one per worker) merge into exactly the sample
 * one builder would have kept: the k smallest of a union are the k smallest of the parts' k smallest.
 */

interface Kept<T> {
  priority: number;
  instance: string;
  seq: number;
  item: T;
}

/** Keeps the items of the `size` smallest (priority, instance, seq); (instance, seq) makes it total. */
export class BottomK<T> {
  private readonly kept: Kept<T>[] = [];
  /** The largest kept entry once the sample is full: what a new offer has to beat. */
  private worst: Kept<T> | undefined;

  constructor(private readonly size: number) {}

  /**
   * Whether an entry would be kept. Asked before building the item: most offers of a large cell are
   * refused, and a refusal should cost one comparison of numbers, no allocation.
   */
  takes(priority: number, instance: string, seq: number): boolean {
    const worst = this.worst;
    return worst === undefined ? this.size > 0 : precedes(priority, instance, seq, worst);
  }

  /** Keeps an entry that `takes` accepted, dropping the largest if the sample is full. */
  keep(priority: number, instance: string, seq: number, item: T): void {
    const entry = { priority, instance, seq, item };
    const worst = this.worst;
    if (worst === undefined) {
      this.kept.push(entry);
      if (this.kept.length === this.size) this.worst = largest(this.kept);
      return;
    }
    this.kept[this.kept.indexOf(worst)] = entry;
    this.worst = largest(this.kept);
  }

  get items(): T[] {
    return this.kept.map((entry) => entry.item);
  }
}

function largest<T>(entries: readonly Kept<T>[]): Kept<T> {
  let worst = entries[0] as Kept<T>;
  for (const entry of entries) {
    if (precedes(worst.priority, worst.instance, worst.seq, entry)) worst = entry;
  }
  return worst;
}

function precedes<T>(priority: number, instance: string, seq: number, entry: Kept<T>): boolean {
  if (priority !== entry.priority) return priority < entry.priority;
  return instance !== entry.instance ? instance < entry.instance : seq < entry.seq;
}

/**
 * Sampling priorities of calls, by (seed, instance, seq). Calls come in long runs of one instance,
 * so the instance's hash is remembered: a changed call costs two integer mixes, no string hashing.
 */
export class SamplePriorities {
  private readonly seedKey: number;
  private lastInstance = "";
  private lastKey: number;

  constructor(seed: number) {
    this.seedKey = fmix32((seed >>> 0) ^ 0x9e3779b9);
    this.lastKey = this.instanceKey("");
  }

  /** A uniform-looking 32-bit integer; equal priorities are rare and broken by (instance, seq). */
  of(instance: string, seq: number): number {
    if (instance !== this.lastInstance) {
      this.lastInstance = instance;
      this.lastKey = this.instanceKey(instance);
    }
    // Both halves of the sequence number, should an instance ever count past 2^32.
    const low = seq >>> 0;
    const high = (seq / 4294967296) >>> 0;
    return fmix32(this.lastKey ^ fmix32(low ^ Math.imul(high, 0x85ebca6b)));
  }

  private instanceKey(instance: string): number {
    return fmix32(this.seedKey ^ hashString(instance));
  }
}

/** FNV-1a over UTF-16 code units: once per run of an instance's calls, so simplicity wins. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's finaliser: every input bit flips about half the output bits. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** mulberry32: small, fast and good enough to pick examples; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
