/**
 * Each gateway instance chains its events: an event's hash covers its content and the previous
 * event's hash, and `seq` counts up from 0. A deleted event leaves a gap in `seq` and a broken link;
 * an edited one no longer matches its hash.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import type { TollgateEvent } from "./schema.js";

export type UnsealedEvent = Omit<TollgateEvent, "chain"> & { chain?: undefined };

export function hashEvent(event: UnsealedEvent | TollgateEvent, seq: number, prev: string | null): string {
  const { chain: _ignored, ...content } = event;
  const canonical = canonicalize({ ...content, chain: { seq, prev } }) ?? "";
  return `sha256:${createHash("sha256").update(canonical).digest("hex")}`;
}

/** Seals events of one gateway instance in order. Not shared across instances. */
export class EventChain {
  private seq = 0;
  private prev: string | null = null;

  seal<E extends UnsealedEvent>(event: E): TollgateEvent {
    const seq = this.seq;
    const hash = hashEvent(event, seq, this.prev);
    const sealed = { ...event, chain: { seq, prev: this.prev, hash } } as TollgateEvent;
    this.seq += 1;
    this.prev = hash;
    return sealed;
  }
}

export interface ChainProblem {
  instance: string;
  kind: "missing" | "edited" | "broken_link" | "duplicate";
  seq: number;
  message: string;
}

/**
 * Verifies the chains of all instances in a set of events (any order). Reports each gap (missing
 * events), each event whose hash does not match its content (edited), and each event whose `prev`
 * is not its predecessor's hash (reordered or replaced).
 */
export function verifyChains(events: Iterable<TollgateEvent>): ChainProblem[] {
  const byInstance = new Map<string, TollgateEvent[]>();
  for (const event of events) {
    const list = byInstance.get(event.gateway.instance) ?? [];
    list.push(event);
    byInstance.set(event.gateway.instance, list);
  }
  const problems: ChainProblem[] = [];
  for (const [instance, list] of byInstance) {
    list.sort((a, b) => a.chain.seq - b.chain.seq);
    let previous: TollgateEvent | undefined;
    for (const event of list) {
      problems.push(...linkProblems(instance, previous, event));
      previous = event;
    }
  }
  return problems;
}

function linkProblems(
  instance: string,
  previous: TollgateEvent | undefined,
  event: TollgateEvent,
): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const { seq, prev, hash } = event.chain;
  const problem = (kind: ChainProblem["kind"], message: string) =>
    problems.push({ instance, kind, seq, message });
  if (hashEvent(event, seq, prev) !== hash)
    problem("edited", `event ${event.id} (seq ${seq}) does not match its hash`);
  const expectedSeq = previous === undefined ? 0 : previous.chain.seq + 1;
  if (previous !== undefined && seq === previous.chain.seq) {
    problem("duplicate", `seq ${seq} appears twice (${previous.id}, ${event.id})`);
  } else if (seq > expectedSeq) {
    const count = seq - expectedSeq;
    problem(
      "missing",
      `${count} event${count === 1 ? "" : "s"} missing before seq ${seq} (seq ${expectedSeq}–${seq - 1})`,
    );
  } else if (previous !== undefined && prev !== previous.chain.hash) {
    problem("broken_link", `event ${event.id} (seq ${seq}) does not follow seq ${previous.chain.seq}`);
  }
  return problems;
}
