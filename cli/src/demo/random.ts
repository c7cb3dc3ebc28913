import { seededRandom } from "@tollgate/replay";

/**
 * A seeded random source (replay's mulberry32): the same seed and end time give the same day, byte
 * for byte, so a demo can be reproduced and re-running it writes the same event ids (the store
 * deduplicates).
 */
export class Random {
  private readonly draw: () => number;

  constructor(seed: number) {
    this.draw = seededRandom(seed);
  }

  /** A float in [0, 1). */
  next(): number {
    return this.draw();
  }

  /** A whole number in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const taken: T[] = [];
    while (taken.length < count && pool.length > 0)
      taken.push(pool.splice(this.int(0, pool.length - 1), 1)[0] as T);
    return taken;
  }

  hex(digits: number): string {
    let text = "";
    while (text.length < digits) text += Math.floor(this.next() * 16).toString(16);
    return text;
  }

  /** A random UUID (version 4), as the HTTP shell gives sessions. */
  uuid(): string {
    return formatUuid(this.hex(12), `4${this.hex(3)}`, this.variant());
  }

  /** A time-ordered UUID (version 7) for an event made at `ms`, as the gateway's newEventId makes. */
  uuidV7(ms: number): string {
    return formatUuid(
      Math.trunc(ms).toString(16).padStart(12, "0").slice(-12),
      `7${this.hex(3)}`,
      this.variant(),
    );
  }

  private variant(): string {
    return `${"89ab"[this.int(0, 3)]}${this.hex(3)}-${this.hex(12)}`;
  }
}

function formatUuid(first12: string, version4: string, rest: string): string {
  return `${first12.slice(0, 8)}-${first12.slice(8, 12)}-${version4}-${rest}`;
}
