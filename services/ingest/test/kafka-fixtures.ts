/** What the Kafka ingest tests share: a fresh topic, and ingest until an instance's events are stored. */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { type BusTopics, defineBusTopics, ensureTopics, type Kafka } from "@tollgate/bus";
import type { Store } from "@tollgate/store";
import { until } from "../../../test/support/waiting.js";
import { IngestMetrics, ingestFromKafka, JsonlDeadLetters } from "../src/index.js";

export interface IngestRun {
  kafka: Kafka;
  topics: BusTopics;
  store: Store;
  /** Where the dead letters go. */
  dir: string;
  /** The gateway instance whose events are awaited, and how many. */
  instance: string;
  events: number;
}

/** Runs Kafka ingest (a fresh consumer group) until the store holds every event, then stops it. */
export async function ingestUntilStored(run: IngestRun): Promise<void> {
  const ingest = await ingestFromKafka(
    {
      store: run.store,
      metrics: new IngestMetrics(),
      deadLetters: new JsonlDeadLetters(join(run.dir, "dead.jsonl")),
      log: () => {},
    },
    {
      kafka: run.kafka,
      topic: run.topics.events.name,
      deadLetterTopic: run.topics.deadLetter.name,
      groupId: `ingest-test-${randomUUID()}`,
    },
  );
  try {
    await until(
      async () => (await run.store.countEvents({ instance: run.instance })) === run.events,
      "ingest to store every event",
    );
  } finally {
    await ingest.stop();
  }
}

/** A new events topic (and its dead-letter topic) on the test broker. */
export async function freshTopics(kafka: Kafka, prefix: string, partitions: number): Promise<BusTopics> {
  const topics = defineBusTopics({ events: `${prefix}-${randomUUID()}`, partitions, replicationFactor: 1 });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics);
  } finally {
    await admin.disconnect();
  }
  return topics;
}
