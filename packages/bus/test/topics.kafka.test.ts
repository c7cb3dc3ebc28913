import { randomUUID } from "node:crypto";
import kafkajs, { type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useKafka } from "../../../test/support/kafka.js";
import {
  createKafka,
  defineBusTopics,
  ensureTopics,
  TopicMismatchError,
  topicConfigEntries,
} from "../src/kafka/index.js";

const { ConfigResourceTypes } = kafkajs;

// A real broker (the *.kafka.test.ts name starts one) with auto-creation off, as in production.

describe("ensureTopics", () => {
  const kafka = createKafka({ brokers: useKafka(), clientId: "bus-topics-test" });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterAll(() => admin.disconnect());

  const uniqueTopics = (partitions = 4) =>
    defineBusTopics({
      events: `topics-test-${randomUUID()}`,
      partitions,
      replicationFactor: 1,
      retentionMs: 3_600_000,
      deadLetterRetentionMs: 7_200_000,
    });

  async function configOf(topic: string) {
    const names = ["cleanup.policy", "retention.ms", "min.insync.replicas", "compression.type"];
    const described = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
      includeSynonyms: false,
    });
    const entries = described.resources[0]!.configEntries;
    return {
      values: Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue])),
      // Set on the topic itself, not inherited from the broker's defaults.
      allExplicit: entries.every((entry) => !entry.isDefault),
    };
  }

  it("creates the events and dead-letter topics with every setting explicit", async () => {
    const topics = uniqueTopics();
    const reports = await ensureTopics(admin, topics);

    expect(reports).toEqual([
      { topic: topics.events.name, created: true, partitions: 4, replicationFactor: 1, drift: [] },
      { topic: topics.deadLetter.name, created: true, partitions: 1, replicationFactor: 1, drift: [] },
    ]);
    const events = await configOf(topics.events.name);
    expect(events.values).toEqual({
      "cleanup.policy": "delete",
      "retention.ms": "3600000",
      "min.insync.replicas": "1",
      "compression.type": "producer",
    });
    expect(events.allExplicit).toBe(true);
    const deadLetter = await configOf(topics.deadLetter.name);
    expect(deadLetter.values).toEqual(topicConfigEntries(topics.deadLetter));
    expect(deadLetter.values["retention.ms"]).toBe("7200000");
  });

  it("is idempotent: a second call, and concurrent calls, create nothing and fail on nothing", async () => {
    const topics = uniqueTopics();
    const concurrent = await Promise.all([ensureTopics(admin, topics), ensureTopics(admin, topics)]);
    for (const reports of concurrent) expect(reports.map((r) => r.partitions)).toEqual([4, 1]);
    const again = await ensureTopics(admin, topics);
    expect(again.map((report) => report.created)).toEqual([false, false]);
    expect(again.flatMap((report) => report.drift)).toEqual([]);
  });

  it("refuses an existing events topic with fewer partitions than configured, saying so", async () => {
    const topics = uniqueTopics(2);
    await ensureTopics(admin, topics);
    const wanting = { ...topics, events: { ...topics.events, partitions: 6 } };

    const attempt = ensureTopics(admin, wanting);
    await expect(attempt).rejects.toThrow(TopicMismatchError);
    await expect(attempt).rejects.toThrow(
      `topic "${topics.events.name}" exists with 2 partitions, fewer than the 6 configured`,
    );
  });

  it("reports drift in settings that do not stop the bus, without failing", async () => {
    const topics = uniqueTopics();
    await ensureTopics(admin, topics);
    const longer = { ...topics, events: { ...topics.events, retentionMs: 86_400_000 } };

    const [events] = await ensureTopics(admin, longer);
    expect(events!.drift).toEqual([{ name: "retention.ms", expected: "86400000", actual: "3600000" }]);
  });

  it("rejects a spec no acks=all write could satisfy before touching the broker", async () => {
    const topics = uniqueTopics();
    const impossible = { ...topics, events: { ...topics.events, minInsyncReplicas: 2 } };
    await expect(ensureTopics(admin, impossible)).rejects.toThrow(
      /minInsyncReplicas \(2\) must be between 1/,
    );
    expect(await admin.listTopics()).not.toContain(topics.events.name);
  });
});
