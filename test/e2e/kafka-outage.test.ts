/**
 * Fault 1: Kafka stopped in the middle of traffic and restarted. The gateway keeps serving (its events
 * go to the spool while the broker is away and are shipped when it returns); ingest then reads Kafka
 * into ClickHouse, and every event of every call is there exactly once. This test starts and stops a
 * broker of its own (the real Apache Kafka from scripts/kafka), so it does not use the shared one.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BufferedKafkaSink, createKafka, defineBusTopics, ensureTopics, KafkaSink } from "@tollgate/bus";
import { IngestMetrics, ingestFromKafka, JsonlDeadLetters } from "@tollgate/ingest";
import { openStore } from "@tollgate/store";
import { logLevel } from "kafkajs";
import { expect, test } from "vitest";
import { freePorts } from "../support/free-port.js";
import { startKafkaBroker } from "../support/kafka.js";
import { startRecordingGateway } from "../support/recording-gateway.js";
import { until } from "../support/waiting.js";

test("Kafka stopped mid-traffic and restarted: every call's events reach ClickHouse exactly once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-kafka-outage-"));
  const ports = (await freePorts(2)) as [number, number];
  let broker = await startKafkaBroker({ dataDir: join(dir, "kafka"), ports });
  // The refused connections during the outage are the point of this test: do not log each one.
  const kafka = createKafka({
    brokers: broker.brokers,
    clientId: "outage-test",
    connectionTimeoutMs: 1_000,
    retries: 1,
    logLevel: logLevel.NOTHING,
  });
  const topics = defineBusTopics({
    events: "outage.events",
    partitions: 3,
    replicationFactor: 1,
    minInsyncReplicas: 1,
  });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topics);
  await admin.disconnect();

  const logs: string[] = [];
  const buffered = await BufferedKafkaSink.open({
    kafka: new KafkaSink({ kafka, topic: topics.events.name, deliveryTimeoutMs: 3_000, lingerMs: 2 }),
    spool: join(dir, "buffer"),
    log: (m) => logs.push(m),
    retryMs: 200,
  });
  const { gateway, client, written, close } = await startRecordingGateway(buffered, {
    version: "1",
    default: "deny",
    tools: { "k8s_get_*": {} },
  });
  const traffic = async (calls: number) => {
    for (let i = 0; i < calls; i++) {
      const result = await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "prod-eu" } });
      expect(result.isError).toBeFalsy(); // the agent never notices the outage
    }
  };

  await traffic(40);
  await broker.stop();
  await traffic(40);
  await until(() => buffered.isBuffering, "the gateway to buffer in the spool", 90_000);
  broker = await startKafkaBroker({ dataDir: join(dir, "kafka"), ports });
  await traffic(40);
  await gateway.core.recorder.flush();
  await until(() => !buffered.isBuffering, "the buffered events to be shipped", 90_000);
  expect(buffered.shipped).toBeGreaterThan(0);
  expect(logs.join("\n")).toContain("buffering events in the spool");
  expect(logs.join("\n")).toContain("Kafka is back");
  const total = written.size;
  expect(total).toBe(1 + 120 * 2);

  const store = await openStore({ path: join(dir, "clickhouse") });
  const metrics = new IngestMetrics();
  const ingest = await ingestFromKafka(
    { store, metrics, deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")), log: () => {} },
    { kafka, topic: topics.events.name, deadLetterTopic: topics.deadLetter.name, groupId: "outage-ingest" },
  );
  await until(async () => (await store.countEvents()) >= total, "ingest to store every event", 90_000);
  await ingest.stop();
  expect(await store.countEvents()).toBe(total);
  const stored = await store.eventIds();
  expect(new Set(stored)).toEqual(written);
  expect(stored).toHaveLength(total);

  await store.close();
  await close();
  await broker.stop();
});
