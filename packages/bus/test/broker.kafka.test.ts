import { randomUUID } from "node:crypto";
import { Kafka, type KafkaConfig, logLevel, Partitioners } from "kafkajs";
import { describe, expect, it } from "vitest";
import { freePort } from "../../../test/support/free-port.js";
import { useKafka } from "../../../test/support/kafka.js";

// Runs against a real broker: the *.kafka.test.ts name makes the global setup start one.

const MESSAGE_COUNT = 1_000;
const KEY_COUNT = 10;
const PARTITION_COUNT = 3;
const BATCH_SIZE = 100;

interface Received {
  key: string;
  seq: number;
  partition: number;
}

// Coordinator start-up makes kafkajs log retried requests as errors; the assertions say what failed.
function client(brokers: string[], extra: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId: "tollgate-bus-test", brokers, logLevel: logLevel.NOTHING, ...extra });
}

/** seq counts per key, so per-key order can be checked on the consumer side. */
function keyedMessages(): { key: string; value: string }[] {
  return Array.from({ length: MESSAGE_COUNT }, (_, i) => {
    const key = `key-${i % KEY_COUNT}`;
    const seq = Math.floor(i / KEY_COUNT);
    return { key, value: JSON.stringify({ key, seq }) };
  });
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: PARTITION_COUNT, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
  } finally {
    await admin.disconnect();
  }
}

async function produce(
  kafka: Kafka,
  topic: string,
  messages: { key: string; value: string }[],
): Promise<void> {
  // kafkajs keeps idempotent sends in order only with one request in flight.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let start = 0; start < messages.length; start += BATCH_SIZE) {
      await producer.send({ topic, acks: -1, messages: messages.slice(start, start + BATCH_SIZE) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** What the broker stored: the sum over partitions of (high watermark - log start). */
async function storedCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function consumeAll(
  kafka: Kafka,
  topic: string,
  expected: number,
  timeoutMs: number,
): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId: `bus-test-${randomUUID()}`, maxWaitTimeInMs: 200 });
  const received: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`received ${received.length} of ${expected} messages in ${timeoutMs} ms`)),
        timeoutMs,
      );
      // kafkajs restarts the consumer after retriable errors (a coordinator still loading, say).
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      consumer
        .run({
          eachMessage: async ({ message, partition }) => {
            const { key, seq } = JSON.parse(String(message.value)) as { key: string; seq: number };
            received.push({ key, seq, partition });
            if (received.length >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return received;
}

function byKey(received: Received[]): Map<string, Received[]> {
  const groups = new Map<string, Received[]>();
  for (const message of received) groups.set(message.key, [...(groups.get(message.key) ?? []), message]);
  return groups;
}

describe("a real Kafka broker", () => {
  const brokers = useKafka();

  it("delivers 1,000 keyed messages from an idempotent producer exactly once, in order per key", async () => {
    const kafka = client(brokers);
    const topic = `bus-test-${randomUUID()}`;
    await createTopic(kafka, topic);
    await produce(kafka, topic, keyedMessages());
    expect(await storedCount(kafka, topic)).toBe(MESSAGE_COUNT);

    const received = await consumeAll(kafka, topic, MESSAGE_COUNT, 30_000);
    expect(received).toHaveLength(MESSAGE_COUNT);
    expect(new Set(received.map((m) => `${m.key}/${m.seq}`)).size).toBe(MESSAGE_COUNT);
    const groups = byKey(received);
    expect(groups.size).toBe(KEY_COUNT);
    for (const messages of groups.values()) {
      expect(messages.map((m) => m.seq)).toEqual(
        Array.from({ length: MESSAGE_COUNT / KEY_COUNT }, (_, i) => i),
      );
      expect(new Set(messages.map((m) => m.partition)).size).toBe(1);
    }
    // Ten keys over three partitions: a partitioner that ignored keys could not pass the checks above,
    // but one that put every key in one partition could, so check the spread too.
    expect(new Set(received.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it("rejects with a connection error within a bounded time when the broker is down", async () => {
    // Nothing listens on a port that was just free, so every connection is refused.
    const port = await freePort();
    const kafka = client([`127.0.0.1:${port}`], {
      connectionTimeout: 1_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const startedAt = Date.now();
    await expect(producer.connect()).rejects.toThrow(/Connection error: connect ECONNREFUSED 127\.0\.0\.1/);
    expect(Date.now() - startedAt).toBeLessThan(20_000);
  }, 30_000);
});
