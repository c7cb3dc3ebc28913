/**
 * Kafka ingest stores each event as the gateway sent it: the message's bytes, byte for byte, on a
 * real broker into the embedded ClickHouse. Parsing drops fields this version does not know (a newer
 * gateway's), so an event serialised again after parsing would not be what was sent.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKafka } from "@tollgate/bus";
import { serializeEvent } from "@tollgate/events";
import { openStore } from "@tollgate/store";
import { Partitioners } from "kafkajs";
import { expect, test } from "vitest";
import { useKafka } from "../../../test/support/kafka.js";
import { recentHour, TestGateway } from "../../../test/support/recorded-events.js";
import { freshTopics, ingestUntilStored } from "./kafka-fixtures.js";

test("stores every event's message bytes as sent, a field this version does not know included", async () => {
  const kafka = createKafka({ brokers: useKafka(), clientId: "kafka-ingest-bytes-test" });
  const topics = await freshTopics(kafka, "ingest-bytes", 1);

  const gateway = new TestGateway();
  const { instance } = gateway;
  const session = gateway.session("agent-a");
  // A decided and a completed event per call.
  const events = [0, 1].flatMap((n) =>
    gateway.call(session, { tool: "k8s_get_pods", arguments: { n }, outcome: "allow", at: recentHour() + n }),
  );
  // The middle one as a newer gateway would send it: one more field, spaced differently.
  const sent = events.map((event, n) =>
    n === 1 ? JSON.stringify({ ...event, origin: "a newer gateway" }, null, 1) : serializeEvent(event),
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({
    topic: topics.events.name,
    messages: sent.map((value) => ({ key: session.id, value })),
  });
  await producer.disconnect();

  const dir = await mkdtemp(join(tmpdir(), "tollgate-kafka-ingest-"));
  const store = await openStore({ path: join(dir, "clickhouse") });
  await ingestUntilStored({ kafka, topics, store, dir, instance, events: events.length });
  const stored = await store.readEvents({ instance });
  expect(new Map(stored.map((event) => [event.id, event.json]))).toEqual(
    new Map(events.map((event, n) => [event.id, sent[n]])),
  );
  expect(stored.find((event) => event.id === events[1]?.id)?.json).toContain('"origin": "a newer gateway"');
  await store.close();
});
