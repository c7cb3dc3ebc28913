/**
 * Kafka ingest stores the partitions of a fetch as one insert, and every event exactly once: on a
 * real broker, a six-partition topic, into the embedded ClickHouse.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKafka, toKafkaMessage } from "@tollgate/bus";
import { openStore } from "@tollgate/store";
import { Partitioners } from "kafkajs";
import { expect, test } from "vitest";
import { useKafka } from "../../../test/support/kafka.js";
import { recentHour, TestGateway } from "../../../test/support/recorded-events.js";
import { freshTopics, ingestUntilStored } from "./kafka-fixtures.js";

const PARTITIONS = 6;

test("the partitions of a fetch go into ClickHouse as one insert, every event once", async () => {
  const kafka = createKafka({ brokers: useKafka(), clientId: "kafka-groups-test" });
  const topics = await freshTopics(kafka, "ingest-groups", PARTITIONS);

  // 60 sessions, a call each (decided + completed): keyed by session, they spread over the partitions.
  const gateway = new TestGateway();
  const events = Array.from({ length: 60 }, (_, n) =>
    gateway.call(gateway.session(`agent-${n % 4}`), {
      tool: "k8s_get_pods",
      arguments: { n },
      outcome: "allow",
      at: recentHour() + n,
    }),
  ).flat();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: topics.events.name, acks: -1, messages: events.map(toKafkaMessage) });
  await producer.disconnect();
  const offsets = await partitionsWithEvents(kafka, topics.events.name);
  expect(offsets).toBeGreaterThan(1); // otherwise there would be nothing to group

  const dir = await mkdtemp(join(tmpdir(), "tollgate-kafka-groups-"));
  const store = await openStore({ path: join(dir, "clickhouse") });
  const inserts: number[] = [];
  const insertRows = store.insertRows.bind(store);
  store.insertRows = (rows, options) => {
    inserts.push(rows.count);
    return insertRows(rows, options);
  };
  await ingestUntilStored({ kafka, topics, store, dir, instance: gateway.instance, events: events.length });
  // One fetch holds every partition's events: fewer inserts than partitions with events.
  expect(inserts.length).toBeLessThan(offsets);
  expect(inserts.reduce((sum, count) => sum + count, 0)).toBe(events.length);
  // Without FINAL: no row was written twice.
  const [rows] = await store.select<{ n: string }>(
    "SELECT count() AS n FROM events WHERE gateway_instance = {instance:String}",
    { instance: gateway.instance },
  );
  expect(Number(rows?.n)).toBe(events.length);
  expect(new Set(await store.eventIds({ instance: gateway.instance }))).toEqual(
    new Set(events.map((event) => event.id)),
  );
  await store.close();
});

/** How many of the topic's partitions hold events. */
async function partitionsWithEvents(kafka: ReturnType<typeof createKafka>, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.filter((partition) => Number(partition.high) > Number(partition.low)).length;
  } finally {
    await admin.disconnect();
  }
}
