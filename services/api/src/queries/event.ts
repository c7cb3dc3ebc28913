/**
 * One event as stored, with its place in its gateway instance's hash chain: the neighbours by
 * `seq`, and whether the links verify (its own hash matches its content, and its `prev` is the hash
 * of the event before it). A missing neighbour is a gap: an event deleted from the store.
 */
import { hashEvent, type TollgateEvent } from "@tollgate/events";
import type { Store } from "@tollgate/store";
import { notFound } from "../errors.js";
import { num } from "./where.js";

export interface ChainPosition {
  instance: string;
  seq: number;
  prev: string | null;
  hash: string;
  /** The event before it in the chain (seq − 1), when stored. */
  previousEventId: string | null;
  /** The event after it (seq + 1), when stored. */
  nextEventId: string | null;
  /** The event's content still matches its hash. */
  hashVerifies: boolean;
  /** Its `prev` is the previous event's hash (or null at seq 0). */
  linkVerifies: boolean;
  /** Why a check failed, in a sentence. */
  problems: string[];
}

export interface EventDetail {
  event: TollgateEvent;
  /** The event's JSON exactly as stored: what the chain hash is computed over (canonicalised). */
  json: string;
  chain: ChainPosition;
}

interface Row {
  id: string;
  gateway_instance: string;
  chain_seq: string | number;
  event_json: string;
}

export async function eventDetail(store: Store, id: string): Promise<EventDetail> {
  const [row] = await store.select<Row>(
    `SELECT toString(event_id) AS id, gateway_instance, chain_seq, event_json
     FROM events FINAL WHERE event_id = {id:UUID} LIMIT 1`,
    { id },
  );
  if (row === undefined) throw notFound(`no event ${id} is stored`);
  const event = JSON.parse(row.event_json) as TollgateEvent;
  const seq = num(row.chain_seq);
  const neighbours = await store.select<Row>(
    `SELECT toString(event_id) AS id, gateway_instance, chain_seq, event_json
     FROM events FINAL
     WHERE gateway_instance = {instance:String} AND chain_seq IN ({before:UInt64}, {after:UInt64})
     ORDER BY chain_seq`,
    { instance: row.gateway_instance, before: Math.max(0, seq - 1), after: seq + 1 },
  );
  const previous = seq === 0 ? undefined : neighbours.find((n) => num(n.chain_seq) === seq - 1);
  const next = neighbours.find((n) => num(n.chain_seq) === seq + 1);
  return { event, json: row.event_json, chain: chainPosition(event, previous, next) };
}

function chainPosition(
  event: TollgateEvent,
  previous: Row | undefined,
  next: Row | undefined,
): ChainPosition {
  const { seq, prev, hash } = event.chain;
  const problems: string[] = [];
  const hashVerifies = hashEvent(event, seq, prev) === hash;
  if (!hashVerifies)
    problems.push(`the event's content does not match its hash: it was edited after it was sealed`);
  let linkVerifies: boolean;
  if (seq === 0) {
    linkVerifies = prev === null;
    if (!linkVerifies) problems.push("the first event of a chain must have no prev");
  } else if (previous === undefined) {
    linkVerifies = false;
    problems.push(
      `seq ${seq - 1} of instance ${event.gateway.instance} is not stored: an event is missing before this one`,
    );
  } else {
    const before = JSON.parse(previous.event_json) as TollgateEvent;
    linkVerifies = before.chain.hash === prev;
    if (!linkVerifies) problems.push(`prev is not the hash of seq ${seq - 1} (${previous.id})`);
  }
  return {
    instance: event.gateway.instance,
    seq,
    prev,
    hash,
    previousEventId: previous?.id ?? null,
    nextEventId: next?.id ?? null,
    hashVerifies,
    linkVerifies,
    problems,
  };
}
