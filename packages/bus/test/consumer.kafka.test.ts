import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  EVENT_SCHEMA,
  EventChain,
  newEventId,
  serializeEvent,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";
import { type Admin, type IHeaders, type KafkaMessage, Partitioners } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useKafka } from "../../../test/support/kafka.js";
import {
  type BusTopics,
  type ConsumeEventsOptions,
  consumeEvents,
  createKafka,
  defineBusTopics,
  type EventBatch,
  ensureTopics,
  KafkaSink,
  ORIGIN_HEADERS,
} from "../src/kafka/index.js";

const KAFKA_MODULE = fileURLToPath(new URL("../src/kafka/index.ts", import.meta.url));

function sealedEvents(count: number, instance = `gw-${randomUUID()}`): TollgateEvent[] {
  const chain = new EventChain();
  return Array.from({ length: count }, (_, n) =>
    chain.seal({
      schema: EVENT_SCHEMA,
      id: newEventId(),
      type: "call.completed",
      time: Date.now(),
      gateway: { instance, version: "0.1.0" },
      session: { id: `session-${n % 7}`, agent: "agent-a", grant: "grant-a", transport: "stdio" },
      payload: { callId: `call-${n}`, status: "ok", latencyMs: 1, resultBytes: 10 },
    } as UnsealedEvent),
  );
}

async function waitUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("consumeEvents on a real broker", () => {
  const brokers = useKafka();
  const kafka = createKafka({ brokers, clientId: "bus-consumer-test" });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  async function freshTopics(partitions = 1): Promise<BusTopics> {
    const topics = defineBusTopics({
      events: `consumer-test-${randomUUID()}`,
      partitions,
      replicationFactor: 1,
    });
    await ensureTopics(admin, topics);
    return topics;
  }

  /** Each publish round is one send, hence one record batch on the broker. */
  async function publishInRounds(topic: string, rounds: TollgateEvent[][]): Promise<void> {
    const sink = new KafkaSink({ kafka, topic, lingerMs: 50, maxBatchEvents: 10_000 });
    for (const round of rounds) await Promise.all(round.map((event) => sink.publish(event)));
    await sink.close();
  }

  async function committedOffset(groupId: string, topic: string): Promise<string | undefined> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets?.partitions[0]?.offset;
  }

  function consume(
    topics: BusTopics,
    groupId: string,
    handle: ConsumeEventsOptions["handle"],
    extra: Partial<ConsumeEventsOptions> = {},
  ) {
    return consumeEvents({
      kafka,
      groupId,
      topic: topics.events.name,
      deadLetterTopic: topics.deadLetter.name,
      retryBackoff: { initialMs: 100, maxMs: 500 },
      handle,
      ...extra,
    });
  }

  it("hands a batch whose handler threw to the handler again, and loses nothing", async () => {
    const topics = await freshTopics();
    const events = sealedEvents(200);
    await publishInRounds(topics.events.name, [events]);

    const calls: EventBatch[] = [];
    const handled: TollgateEvent[] = [];
    const groupId = `retry-${randomUUID()}`;
    const consumer = await consume(topics, groupId, async (batch) => {
      calls.push(batch);
      if (calls.length === 1) throw new Error("ClickHouse is down, say");
      handled.push(...batch.events);
    });
    try {
      await waitUntil(() => handled.length >= events.length, 20_000, "every event handled");
      await waitUntil(async () => (await consumer.lag())[0]?.lag === 0, 10_000, "the commit");
    } finally {
      await consumer.stop();
    }

    const [failed, retried] = calls;
    expect(retried!.firstOffset).toBe(failed!.firstOffset);
    expect(retried!.lastOffset).toBe(failed!.lastOffset);
    expect(retried!.events.map((e) => e.id)).toEqual(failed!.events.map((e) => e.id));
    expect(handled.map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect(consumer.counters()).toMatchObject({ events: events.length, failedAttempts: 1, poison: 0 });
    expect(await committedOffset(groupId, topics.events.name)).toBe(String(events.length));
  });

  it("re-delivers what a crashed member had not committed to the group's next member", async () => {
    const topics = await freshTopics();
    const rounds = [sealedEvents(100), sealedEvents(100), sealedEvents(100)];
    await publishInRounds(topics.events.name, rounds);
    const groupId = `crash-${randomUUID()}`;

    // A real crash: a separate process, SIGKILLed while its handler holds the second batch.
    const child = await runCrashingMember(topics, groupId);
    expect(child.handled).toEqual(rounds[0]!.map((e) => e.id));
    expect(await committedOffset(groupId, topics.events.name)).toBe("100");

    const redelivered = await nextMemberReads(topics, groupId, 200);

    expect(redelivered[0]!.firstOffset).toBe(child.hungAt);
    const ids = redelivered.flatMap((batch) => batch.events.map((e) => e.id));
    expect(ids).toEqual([...rounds[1]!, ...rounds[2]!].map((e) => e.id));
  }, 45_000);

  it("with batches in flight, fetches on while one is stored, and commits each partition in order", async () => {
    const topics = await freshTopics();
    const rounds = [sealedEvents(100), sealedEvents(100), sealedEvents(100)];
    await publishInRounds(topics.events.name, rounds);
    const groupId = `in-flight-${randomUUID()}`;
    let releaseFirst: () => void = () => {};
    const firstHeld = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const handed: EventBatch[] = [];
    const stored: string[] = [];
    const consumer = await consume(
      topics,
      groupId,
      async (batch) => {
        handed.push(batch);
        if (handed.length === 1) await firstHeld;
        stored.push(batch.firstOffset);
      },
      // One record batch per fetch, so that each round is a batch of its own.
      { maxEventsInFlight: 1_000, maxBytesPerPartition: 1 },
    );
    try {
      await waitUntil(() => stored.length === 2, 20_000, "the two batches behind the held one stored");
      // Both were handed over while the first was still being stored, and nothing is committed:
      // the first batch, ahead of them, is not stored yet.
      expect(handed).toHaveLength(3);
      expect(await committedOffset(groupId, topics.events.name)).toBe("-1");
      releaseFirst();
      await waitUntil(async () => (await consumer.lag())[0]?.lag === 0, 20_000, "every batch committed");
    } finally {
      releaseFirst();
      await consumer.stop();
    }
    expect(stored).toEqual(["100", "200", "0"]);
    expect(await committedOffset(groupId, topics.events.name)).toBe("300");
    expect(consumer.counters()).toMatchObject({ batches: 3, events: 300 });
  });

  it("with batches in flight, a crash re-delivers a stored batch behind one that was not", async () => {
    const topics = await freshTopics();
    const rounds = [sealedEvents(100), sealedEvents(100), sealedEvents(100)];
    await publishInRounds(topics.events.name, rounds);
    const groupId = `in-flight-crash-${randomUUID()}`;

    // The second batch hangs; the third is handed over and stored behind it; then SIGKILL.
    const child = await runCrashingMember(topics, groupId, { inFlight: true });
    expect(child.storedAfterHung).toBe("200");
    expect(await committedOffset(groupId, topics.events.name)).toBe("100");

    const redelivered = await nextMemberReads(topics, groupId, 200);
    const ids = redelivered.flatMap((batch) => batch.events.map((e) => e.id));
    expect(ids).toEqual([...rounds[1]!, ...rounds[2]!].map((e) => e.id));
  }, 45_000);

  /** What the group's next member is handed, until it has `events` events and has committed them. */
  async function nextMemberReads(topics: BusTopics, groupId: string, events: number): Promise<EventBatch[]> {
    const redelivered: EventBatch[] = [];
    const consumer = await consume(topics, groupId, async (batch) => {
      redelivered.push(batch);
    });
    try {
      const count = () => redelivered.reduce((sum, batch) => sum + batch.events.length, 0);
      await waitUntil(() => count() >= events, 30_000, "the uncommitted events");
      await waitUntil(async () => (await consumer.lag())[0]?.lag === 0, 10_000, "the commit");
    } finally {
      await consumer.stop();
    }
    return redelivered;
  }

  async function runCrashingMember(topics: BusTopics, groupId: string, { inFlight = false } = {}) {
    const script = `
      const { consumeEvents, createKafka } = await import(process.env.BUS_KAFKA_MODULE);
      const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS.split(","), clientId: "crashing-member" });
      let batches = 0;
      await consumeEvents({
        kafka, groupId: process.env.GROUP, topic: process.env.TOPIC, deadLetterTopic: process.env.DLQ,
        // One record batch per fetch, and a session the group gives up on quickly once we are gone.
        maxBytesPerPartition: 1, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 6000, heartbeatIntervalMs: 1000,
        maxEventsInFlight: process.env.IN_FLIGHT === "1" ? 1000 : 0,
        handle: async (batch) => {
          batches += 1;
          if (batches === 1) return console.log(JSON.stringify({ handled: batch.events.map((e) => e.id) }));
          // Reported a second later: time enough for a commit that must not happen to happen.
          if (batches === 3) return void setTimeout(() => console.log(JSON.stringify({ storedAfterHung: batch.firstOffset })), 1000);
          console.log(JSON.stringify({ hungAt: batch.firstOffset }));
          await new Promise(() => {});
        },
      });`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: {
        ...process.env,
        BUS_KAFKA_MODULE: KAFKA_MODULE,
        GROUP: groupId,
        TOPIC: topics.events.name,
        DLQ: topics.deadLetter.name,
        IN_FLIGHT: inFlight ? "1" : "0",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const report: { handled?: string[]; hungAt?: string; storedAfterHung?: string } = {};
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        Object.assign(report, JSON.parse(line));
        // In flight, the batch behind the hung one is handed over (and stored) before the crash.
        if (report.hungAt !== undefined && (!inFlight || report.storedAfterHung !== undefined)) break;
      }
    } finally {
      child.kill("SIGKILL");
      await exited;
    }
    return report;
  }

  it("sends poison to the dead-letter topic with its origin, byte for byte, and hands on every good event", async () => {
    const topics = await freshTopics();
    const good = sealedEvents(4);
    const invalidUtf8 = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0x7b]);
    const messages = [
      { key: "s1", value: serializeEvent(good[0]!) },
      { key: "s1", value: Buffer.from("not json at all") },
      { key: "s1", value: serializeEvent(good[1]!) },
      { key: Buffer.from([0x00, 0xff]), value: invalidUtf8, headers: { "writer-id": "legacy" } },
      { key: "s2", value: serializeEvent(good[2]!) },
      { key: null, value: Buffer.from(JSON.stringify({ schema: "someone.else/v3", id: 1 })) },
      { key: "s2", value: null },
      { key: "s2", value: serializeEvent(good[3]!) },
    ];
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const [written] = await producer.send({ topic: topics.events.name, acks: -1, messages });
    await producer.disconnect();
    const baseOffset = Number(written!.baseOffset);

    const handled: TollgateEvent[] = [];
    const poisonSeen: number[] = [];
    const consumer = await consume(topics, `poison-${randomUUID()}`, async (batch) => {
      handled.push(...batch.events);
      poisonSeen.push(...batch.poison.map((p) => Number(p.offset)));
    });
    try {
      await waitUntil(async () => (await consumer.lag())[0]?.lag === 0, 20_000, "the whole batch committed");
    } finally {
      await consumer.stop();
    }
    expect(handled.map((e) => e.id)).toEqual(good.map((e) => e.id));
    const poisonIndexes = [1, 3, 5, 6];
    expect(poisonSeen).toEqual(poisonIndexes.map((i) => baseOffset + i));

    const dead = await readAll(topics.deadLetter.name, poisonIndexes.length);
    expect(dead).toHaveLength(poisonIndexes.length);
    dead.forEach((message, n) => {
      const original = messages[poisonIndexes[n]!]!;
      const headers = message.headers ?? {};
      expect(message.value).toEqual(original.value === null ? null : Buffer.from(original.value));
      expect(message.key).toEqual(original.key === null ? null : Buffer.from(original.key));
      expect(text(headers, ORIGIN_HEADERS.topic)).toBe(topics.events.name);
      expect(text(headers, ORIGIN_HEADERS.partition)).toBe("0");
      expect(text(headers, ORIGIN_HEADERS.offset)).toBe(String(baseOffset + poisonIndexes[n]!));
      expect(Number(text(headers, ORIGIN_HEADERS.timestamp))).toBeGreaterThan(Date.now() - 120_000);
      if (original.key === null) expect(headers[ORIGIN_HEADERS.key]).toBeUndefined();
      else expect(headers[ORIGIN_HEADERS.key]).toEqual(Buffer.from(original.key));
    });
    expect(text(dead[0]!.headers!, ORIGIN_HEADERS.error)).toMatch(/^not JSON/);
    expect(text(dead[1]!.headers!, "writer-id")).toBe("legacy");
    expect(text(dead[2]!.headers!, ORIGIN_HEADERS.error)).toMatch(/^not a tollgate event: type/);
    expect(text(dead[3]!.headers!, ORIGIN_HEADERS.error)).toBe("no value (a tombstone)");
  });

  function text(headers: IHeaders, name: string): string | undefined {
    const value = headers[name];
    return value === undefined ? undefined : String(value);
  }

  async function readAll(topic: string, count: number): Promise<KafkaMessage[]> {
    const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 200 });
    const received: KafkaMessage[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => void received.push(message) });
      await waitUntil(() => received.length >= count, 20_000, `${count} dead letters`);
    } finally {
      await consumer.disconnect();
    }
    return received;
  }
});
