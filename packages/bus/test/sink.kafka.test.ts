import { randomUUID } from "node:crypto";
import { type AddressInfo, createServer, type Socket } from "node:net";
import {
  EVENT_SCHEMA,
  EventChain,
  newEventId,
  type SessionInfo,
  type TollgateEvent,
  type UnsealedEvent,
  verifyChains,
} from "@tollgate/events";
import { type Admin, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port.js";
import { useKafka } from "../../../test/support/kafka.js";
import {
  type BusTopics,
  consumeEvents,
  createKafka,
  defineBusTopics,
  EVENT_HEADERS,
  ensureTopics,
  KafkaDeliveryError,
  KafkaSink,
} from "../src/kafka/index.js";

const EVENT_COUNT = 5_000;
const SESSION_COUNT = 50;
const INSTANCE = "gw-sink-test";

function session(n: number): SessionInfo {
  return { id: `session-${n}`, agent: "agent-a", grant: "grant-a", transport: "http" };
}

/** Mostly calls within sessions; every 37th is a policy load, which has no session. */
function unsealed(n: number): UnsealedEvent {
  const common = {
    schema: EVENT_SCHEMA,
    id: newEventId(),
    time: Date.now(),
    gateway: { instance: INSTANCE, version: "0.1.0" },
  };
  if (n % 37 === 0)
    return {
      ...common,
      type: "policy.loaded",
      payload: { name: "p", digest: `sha256:${n}`, source: "policy.json", previousDigest: null },
    } as UnsealedEvent;
  return {
    ...common,
    type: "call.completed",
    session: session(n % SESSION_COUNT),
    payload: { callId: `call-${n}`, status: "ok", latencyMs: 3, resultBytes: 512 },
  } as UnsealedEvent;
}

function sealedEvents(count: number): TollgateEvent[] {
  const chain = new EventChain();
  return Array.from({ length: count }, (_, n) => chain.seal(unsealed(n)));
}

/** Accepts TCP connections and never says a word, like a broker stuck in a long GC pause. */
async function silentServer(): Promise<{ port: number; close: () => void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("KafkaSink on a real broker", () => {
  const brokers = useKafka();
  const kafka = createKafka({ brokers, clientId: "bus-sink-test" });
  let admin: Admin;
  let topics: BusTopics;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    topics = defineBusTopics({ events: `sink-test-${randomUUID()}`, partitions: 6, replicationFactor: 1 });
    await ensureTopics(admin, topics);
  });
  afterAll(() => admin.disconnect());

  it("delivers 5,000 events exactly once, each session's in order, keyed and labelled", async () => {
    const events = sealedEvents(EVENT_COUNT);
    const sink = new KafkaSink({ kafka, topic: topics.events.name, lingerMs: 5, maxBatchEvents: 500 });
    const publishStart = performance.now();
    await Promise.all(events.map((event) => sink.publish(event)));
    const publishMs = performance.now() - publishStart;
    await sink.close();
    expect(sink.counters).toMatchObject({ delivered: EVENT_COUNT, failed: 0, expired: 0, refused: 0 });

    const offsets = await admin.fetchTopicOffsets(topics.events.name);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(EVENT_COUNT);
    expect(offsets.filter((p) => Number(p.high) > 0).length).toBeGreaterThan(1);

    const received: TollgateEvent[] = [];
    const partitionsBySession = new Map<string, Set<number>>();
    const consumeStart = performance.now();
    const consumer = await consumeEvents({
      kafka,
      groupId: `sink-test-${randomUUID()}`,
      topic: topics.events.name,
      deadLetterTopic: topics.deadLetter.name,
      partitionsConsumedConcurrently: 3,
      handle: async (batch) => {
        expect(batch.poison).toEqual([]);
        for (const event of batch.events) {
          const key = event.session?.id ?? event.gateway.instance;
          partitionsBySession.set(key, (partitionsBySession.get(key) ?? new Set()).add(batch.partition));
          received.push(event);
        }
      },
    });
    try {
      await waitUntil(() => received.length >= EVENT_COUNT, 30_000, `${EVENT_COUNT} events`);
      const consumeMs = performance.now() - consumeStart;
      // Everything is committed, so no late duplicate can still be on its way.
      await waitUntil(async () => (await consumer.lag()).every((p) => p.lag === 0), 10_000, "zero lag");
      console.info(
        `[throughput] published ${EVENT_COUNT} events in ${publishMs.toFixed(0)} ms ` +
          `(${Math.round(EVENT_COUNT / (publishMs / 1000))} events/s; linger 5 ms, batches of ≤500, acks=all, idempotent, uncompressed); ` +
          `consumed in ${consumeMs.toFixed(0)} ms including the group join ` +
          `(${Math.round(EVENT_COUNT / (consumeMs / 1000))} events/s; 6 partitions, 3 at a time)`,
      );
    } finally {
      await consumer.stop();
    }

    expect(received).toHaveLength(EVENT_COUNT);
    expect(new Set(received.map((event) => event.id)).size).toBe(EVENT_COUNT);
    // The chain proves nothing is missing, duplicated or altered.
    expect(verifyChains(received)).toEqual([]);
    const seqsBySession = new Map<string, number[]>();
    for (const event of received) {
      const key = event.session?.id ?? event.gateway.instance;
      seqsBySession.set(key, [...(seqsBySession.get(key) ?? []), event.chain.seq]);
    }
    expect(seqsBySession.size).toBe(SESSION_COUNT + 1);
    for (const seqs of seqsBySession.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const partitions of partitionsBySession.values()) expect(partitions.size).toBe(1);
  });

  it("labels each message with the session key and the event's type, schema and id", async () => {
    const [event] = sealedEvents(2).slice(1);
    const sink = new KafkaSink({ kafka, topic: topics.events.name });
    await sink.publish(event!);
    await sink.close();

    const consumer = kafka.consumer({ groupId: `sink-headers-${randomUUID()}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.events.name], fromBeginning: true });
    const found = new Promise<{ key: string; headers: Record<string, string> }>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
          );
          if (headers[EVENT_HEADERS.id] === event!.id) resolve({ key: String(message.key), headers });
        },
      });
    });
    try {
      const { key, headers } = await found;
      expect(key).toBe(event!.session!.id);
      expect(headers).toEqual({
        [EVENT_HEADERS.type]: "call.completed",
        [EVENT_HEADERS.schema]: EVENT_SCHEMA,
        [EVENT_HEADERS.id]: event!.id,
      });
    } finally {
      await consumer.disconnect();
    }
  });

  it("rejects publishes with a clear error, within a bounded time, when the broker is unreachable", async () => {
    // Nothing listens on a port that was just free: every connection is refused.
    const port = await freePort();
    const unreachable = createKafka({
      brokers: [`127.0.0.1:${port}`],
      connectionTimeoutMs: 500,
      retries: 2,
      // Each refused connect would log an error; the rejection below says it once.
      logLevel: logLevel.NOTHING,
    });
    const sink = new KafkaSink({ kafka: unreachable, topic: topics.events.name, deliveryTimeoutMs: 10_000 });
    const startedAt = Date.now();
    const outcomes = await Promise.allSettled(sealedEvents(3).map((event) => sink.publish(event)));
    const elapsedMs = Date.now() - startedAt;

    expect(outcomes.map((outcome) => outcome.status)).toEqual(["rejected", "rejected", "rejected"]);
    const reason: unknown = (outcomes[0] as PromiseRejectedResult).reason;
    expect(reason).toBeInstanceOf(KafkaDeliveryError);
    expect((reason as KafkaDeliveryError).events).toBe(3);
    expect((reason as KafkaDeliveryError).message).toMatch(
      new RegExp(
        `^Kafka did not accept 3 event\\(s\\) for topic "${topics.events.name}": .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
      ),
    );
    expect(elapsedMs).toBeLessThan(12_000);
    await sink.close();
    await expect(sink.publish(sealedEvents(1)[0]!)).rejects.toThrow("the Kafka sink is closed");
  }, 30_000);

  it("rejects at the delivery deadline when a broker accepts connections but never answers", async () => {
    const silent = await silentServer();
    const hung = createKafka({
      brokers: [`127.0.0.1:${silent.port}`],
      requestTimeoutMs: 2_000,
      retries: 1,
      logLevel: logLevel.NOTHING,
    });
    const sink = new KafkaSink({ kafka: hung, topic: topics.events.name, deliveryTimeoutMs: 500 });
    try {
      const startedAt = Date.now();
      await expect(sink.publish(sealedEvents(1)[0]!)).rejects.toThrow(
        `Kafka did not acknowledge the event within 500 ms (topic "${topics.events.name}"); it may still arrive`,
      );
      expect(Date.now() - startedAt).toBeLessThan(1_900);
      expect(sink.counters).toMatchObject({ expired: 1, delivered: 0 });
    } finally {
      silent.close();
      await sink.close();
    }
  }, 30_000);
});
