/**
 * Seeded reservoir sampling: a report's examples are a fair sample of each changed cell, and the
 * same seed over the same calls picks the same examples (a reviewer can rerun and compare).
 */
export class Reservoir<T> {
  private seen = 0;
  readonly items: T[] = [];

  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}

  /** `make` builds the item only if the sample takes it: most offers of a large cell are refused. */
  offer(make: () => T): void {
    this.seen += 1;
    if (this.items.length < this.size) {
      this.items.push(make());
      return;
    }
    const slot = Math.floor(this.random() * this.seen);
    if (slot < this.size) this.items[slot] = make();
  }
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
