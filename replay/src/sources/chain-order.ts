/**
 * Puts each gateway instance's events back in chain order when they arrive from several Kafka
 * partitions. The topic is keyed by session, so one instance's chain is spread over partitions:
 * each partition keeps the instance's order, but partitions interleave as Kafka serves them.
 *
 * Sequence numbers are dense per instance, so the next one can go as soon as it arrives. Where the
 * next one has not come (the read started in the middle of the chain, or an event is missing), the
 * lowest waiting one goes once every partition has moved `latenessMs` past its time: an event that
 * comes even later is counted as late and left out. A sequence number already passed is a
 * duplicate (a spool re-shipping after a crash) and is dropped.
 */

export interface ChainOrderCounts {
  /** Events whose sequence number had already gone (a re-shipped duplicate). */
  duplicates: number;
  /** Events that came after later events of their instance had gone: left out. */
  late: number;
  /** Sequence numbers passed over without their event (missing, or before the read started). */
  skipped: number;
}

interface Waiting<T> {
  seq: number;
  time: number;
  item: T | undefined;
}

interface InstanceChain<T> {
  /** The sequence number that may go next; unknown until the first event went. */
  next: number | undefined;
  /** Sorted by sequence number. */
  waiting: Waiting<T>[];
  /** Ranges `[from, to)` passed over, to tell a late event from a duplicate. */
  gaps: [number, number][];
}

/** Gap ranges remembered per instance; older ones are forgotten (a later event then counts as a duplicate). */
const MAX_GAPS = 1_000;

export class ChainOrder<T> {
  private readonly chains = new Map<string, InstanceChain<T>>();
  readonly counts: ChainOrderCounts = { duplicates: 0, late: 0, skipped: 0 };

  constructor(private readonly latenessMs: number) {}

  /** An event of the chain; `item` is what to hand on when it goes (undefined: only its place counts). */
  add(instance: string, seq: number, time: number, item: T | undefined): void {
    const chain = this.chainOf(instance);
    if (chain.next !== undefined && seq < chain.next) {
      if (chain.gaps.some(([from, to]) => seq >= from && seq < to)) this.counts.late += 1;
      else this.counts.duplicates += 1;
      return;
    }
    const at = insertionPoint(chain.waiting, seq);
    if (chain.waiting[at]?.seq === seq) {
      this.counts.duplicates += 1;
      return;
    }
    chain.waiting.splice(at, 0, { seq, time, item });
  }

  /**
   * Appends to `out` what may go now, each instance in chain order. `frontier` is the time every
   * partition still being read has reached.
   */
  release(frontier: number, out: T[]): void {
    for (const chain of this.chains.values()) this.releaseChain(chain, frontier, out);
  }

  /** The end of the input: everything still waiting goes, in chain order. */
  flush(out: T[]): void {
    this.release(Number.POSITIVE_INFINITY, out);
  }

  private releaseChain(chain: InstanceChain<T>, frontier: number, out: T[]): void {
    let taken = 0;
    for (const waiting of chain.waiting) {
      // A chain starts at 0: nothing can come before it.
      if (waiting.seq !== (chain.next ?? 0)) {
        if (waiting.time + this.latenessMs > frontier) break;
        if (chain.next !== undefined) this.passOver(chain, chain.next, waiting.seq);
      }
      chain.next = waiting.seq + 1;
      if (waiting.item !== undefined) out.push(waiting.item);
      taken += 1;
    }
    if (taken > 0) chain.waiting.splice(0, taken);
  }

  private passOver(chain: InstanceChain<T>, from: number, to: number): void {
    this.counts.skipped += to - from;
    chain.gaps.push([from, to]);
    if (chain.gaps.length > MAX_GAPS) chain.gaps.shift();
  }

  private chainOf(instance: string): InstanceChain<T> {
    let chain = this.chains.get(instance);
    if (chain === undefined) {
      chain = { next: undefined, waiting: [], gaps: [] };
      this.chains.set(instance, chain);
    }
    return chain;
  }
}

/** Where `seq` goes in the sorted list (binary search). */
function insertionPoint<T>(waiting: readonly Waiting<T>[], seq: number): number {
  let low = 0;
  let high = waiting.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((waiting[middle] as Waiting<T>).seq < seq) low = middle + 1;
    else high = middle;
  }
  return low;
}
