import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChainOrder } from "../src/sources/chain-order.js";

interface Event {
  instance: string;
  seq: number;
  time: number;
}

const label = (event: Event) => `${event.instance}#${event.seq}`;

/** Feeds partitions' events as Kafka might serve them, releasing after each one. */
function feed(order: ChainOrder<string>, events: readonly Event[], frontier: () => number): string[] {
  const out: string[] = [];
  for (const event of events) {
    order.add(event.instance, event.seq, event.time, label(event));
    order.release(frontier(), out);
  }
  order.flush(out);
  return out;
}

function ofInstance(labels: readonly string[], instance: string): number[] {
  return labels.filter((l) => l.startsWith(`${instance}#`)).map((l) => Number(l.split("#")[1]));
}

/**
 * Chains of two instances, each event sent to one of three partitions; each partition keeps its
 * events in chain order, and the partitions interleave in any way.
 */
const spreadChains = fc
  .tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }))
  .chain(([a, b]) => {
    const events: Event[] = [
      ...Array.from({ length: a }, (_, seq) => ({ instance: "a", seq, time: seq * 10 })),
      ...Array.from({ length: b }, (_, seq) => ({ instance: "b", seq, time: seq * 10 })),
    ];
    return fc.tuple(
      fc.constant(events),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: events.length, maxLength: events.length }),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 200, maxLength: 200 }),
    );
  })
  .map(([events, partitionOf, pulls]) => {
    const partitions: Event[][] = [[], [], []];
    for (const [index, event] of events.entries()) partitions[partitionOf[index] ?? 0]?.push(event);
    const served: Event[] = [];
    for (const pull of pulls) {
      const next = partitions[pull]?.shift();
      if (next !== undefined) served.push(next);
    }
    for (const rest of partitions) served.push(...rest);
    return { events, served };
  });

describe("ChainOrder", () => {
  it("puts every instance's chain back in order, however the partitions interleave", () => {
    fc.assert(
      fc.property(spreadChains, ({ events, served }) => {
        // No lateness release: only dense sequence numbers and the end of input let events go.
        const out = feed(new ChainOrder<string>(60_000), served, () => Number.NEGATIVE_INFINITY);
        expect(out).toHaveLength(events.length);
        for (const instance of ["a", "b"]) {
          const seqs = ofInstance(out, instance);
          expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
        }
      }),
      { numRuns: 300, seed: 20240611 },
    );
  });

  it("lets a chain start at 0 go at once, but holds a chain first seen mid-way until the lateness passes", () => {
    const order = new ChainOrder<string>(1_000);
    const out: string[] = [];
    order.add("a", 0, 100, "a0");
    order.add("b", 7, 100, "b7");
    order.release(500, out);
    expect(out).toEqual(["a0"]);
    // b6 came from a slower partition within the lateness: it still goes first.
    order.add("b", 6, 90, "b6");
    order.release(1_200, out);
    expect(out).toEqual(["a0", "b6", "b7"]);
    expect(order.counts).toEqual({ duplicates: 0, late: 0, skipped: 0 });
  });

  it("passes over a missing event after the lateness, and counts one that comes after that as late", () => {
    const order = new ChainOrder<string>(1_000);
    const out: string[] = [];
    order.add("a", 0, 0, "a0");
    order.add("a", 2, 20, "a2");
    order.release(500, out);
    expect(out).toEqual(["a0"]);
    order.release(1_020, out);
    expect(out).toEqual(["a0", "a2"]);
    order.add("a", 1, 10, "a1");
    order.flush(out);
    expect(out).toEqual(["a0", "a2"]);
    expect(order.counts).toEqual({ duplicates: 0, late: 1, skipped: 1 });
  });

  it("drops a re-shipped duplicate, waiting or already gone", () => {
    const order = new ChainOrder<string>(1_000);
    const out: string[] = [];
    order.add("a", 0, 0, "a0");
    order.add("a", 2, 20, "a2");
    order.add("a", 2, 20, "a2 again");
    order.release(0, out);
    order.add("a", 0, 0, "a0 again");
    order.add("a", 1, 10, "a1");
    order.flush(out);
    expect(out).toEqual(["a0", "a1", "a2"]);
    expect(order.counts).toEqual({ duplicates: 2, late: 0, skipped: 0 });
  });

  it("keeps the place of events without an item (not calls) and hands on only the items", () => {
    const order = new ChainOrder<string>(1_000);
    const out: string[] = [];
    order.add("a", 1, 10, "a1");
    order.add("a", 0, 0, undefined);
    order.release(0, out);
    expect(out).toEqual(["a1"]);
  });
});
