/** Shared by the spool tests and their child processes: realistic events and temp spools. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EVENT_SCHEMA,
  EventChain,
  newEventId,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";
import type { SpoolBatch, SpoolReader } from "../src/spool/index.js";

/** A call.decided event of typical size (about 700 bytes serialized). */
export function callDecided(instance: string, n: number, time: number): UnsealedEvent {
  return {
    schema: EVENT_SCHEMA,
    id: newEventId(),
    type: "call.decided",
    time,
    gateway: { instance, version: "0.1.0" },
    session: { id: `session-${n % 7}`, agent: "agent-a", grant: "grant-ops", transport: "stdio" },
    payload: {
      call: {
        id: newEventId(),
        requestId: n,
        server: "k8s",
        tool: "k8s_get_pods",
        arguments: { namespace: "default", labelSelector: `app=web-${n % 13}`, n },
        argumentsHash: `sha256:${"ab".repeat(32)}`,
        redacted: [],
      },
      decision: {
        outcome: "allow",
        rule: "tools.k8s_get_pods",
        basis: "rule",
        reason: "listed tool",
        counters: [],
        at: time,
        policy: { name: "ops", digest: `sha256:${"cd".repeat(32)}` },
      },
    },
  } as UnsealedEvent;
}

/** `count` chained events of one gateway instance; times step by `timeStep` from `startTime`. */
export function chainedEvents(
  instance: string,
  count: number,
  startTime = 1_767_600_000_000,
  timeStep = 1,
): TollgateEvent[] {
  const chain = new EventChain();
  return Array.from({ length: count }, (_, n) =>
    chain.seal(callDecided(instance, n, startTime + n * timeStep)),
  );
}

export async function withTempSpool<T>(run: (directory: string) => Promise<T>): Promise<T> {
  const directory = await mkdtemp(join(tmpdir(), "tollgate-spool-"));
  try {
    return await run(directory);
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/** Publishes in order with up to `concurrency` publishes in flight, as a busy gateway would. */
export async function publishAll(
  publish: (event: TollgateEvent) => Promise<void>,
  events: TollgateEvent[],
  concurrency = 64,
): Promise<void> {
  for (let start = 0; start < events.length; start += concurrency) {
    await Promise.all(events.slice(start, start + concurrency).map(publish));
  }
}

/** Reads batches until one comes back empty; returns everything read and the last position. */
export async function readAll(reader: SpoolReader, maxRecords = 1000): Promise<SpoolBatch> {
  const all: SpoolBatch = { records: [], poison: [], damage: [], position: reader.committed };
  for (;;) {
    const batch = await reader.read(maxRecords);
    all.position = batch.position;
    if (batch.records.length + batch.poison.length + batch.damage.length === 0) return all;
    all.records.push(...batch.records);
    all.poison.push(...batch.poison);
    all.damage.push(...batch.damage);
  }
}
