/**
 * The pipeline into ClickHouse (embedded chDB), from both of ingest's sources:
 * - sustained ingest: 300,000 realistic events already in the spool, moved into ClickHouse;
 * - the same from Kafka: 300,000 events already on a 12-partition topic of a real broker (the
 *   project's, started here unless KAFKA_BROKERS names one), consumed by a group into ClickHouse;
 * - latency at a steady 5,000 events/s: from an event's creation to its row being queryable
 *   (ingest's insert is synchronous: acknowledged rows are visible to reads).
 */

import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createKafka,
  defineBusTopics,
  ensureTopics,
  type Kafka,
  SpoolSink,
  type TopicSpec,
  toKafkaMessage,
  toTopicConfig,
} from "@tollgate/bus";
import {
  EVENT_SCHEMA,
  EventChain,
  newEventId,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";
import {
  DEFAULT_SPOOL_BATCH_SIZE,
  IngestMetrics,
  ingestFromKafka,
  ingestFromSpool,
  JsonlDeadLetters,
} from "@tollgate/ingest";
import { openStore, type Store } from "@tollgate/store";
import { type Admin, Partitioners } from "kafkajs";
import { startKafkaBroker } from "../test/support/kafka.js";
import { startCounting, workFigures } from "./counters.js";
import type { Figure } from "./policy.bench.js";

/**
 * Calls (a decided and a completed event each) of the sustained-ingest runs: 300,000 events, six
 * seconds or so at the goal's rate, so that starting up (a consumer group's join takes about 0.7 s)
 * weighs little in the sustained figure, and merges of the parts written meanwhile run as they do
 * in a long-running ingest.
 */
const SUSTAINED_CALLS = 150_000;
const SUSTAINED_LABEL = `${(SUSTAINED_CALLS * 2) / 1000}k events`;

/** Sessions of the bench's calls: Kafka keys events by session, so they spread over partitions. */
const SESSIONS = 64;

function sessionOf(n: number) {
  const index = n % SESSIONS;
  return {
    id: `7f0c9a4e-0d1b-4c55-9a53-${index.toString(16).padStart(12, "0")}`,
    agent: `claude-${index % 8}`,
    grant: "ops",
    transport: "http" as const,
  };
}

/** A call.decided / call.completed pair, as the gateway writes them (about 900 bytes each as JSON). */
export function callEventsForBench(chain: EventChain, n: number, time: number): TollgateEvent[] {
  const callId = newEventId();
  const base = {
    schema: EVENT_SCHEMA,
    gateway: { instance: "bench-gw", version: "0.1.0" },
    session: sessionOf(n),
  };
  const decided = chain.seal({
    ...base,
    id: newEventId(),
    type: "call.decided",
    time,
    payload: {
      call: {
        id: callId,
        requestId: n,
        server: "k8s",
        tool: n % 7 === 0 ? "k8s_pod_exec" : "k8s_get_resources",
        arguments: { context: "prod-eu", namespace: "shop", kind: "pod", command: "ls -la /var/log" },
        argumentsHash: `sha256:${"ab".repeat(32)}`,
        redacted: [],
      },
      decision: {
        outcome: "allow",
        rule: "tools.k8s_pod_exec",
        basis: "rule",
        reason: '"k8s_pod_exec" is allowed by tools.k8s_pod_exec',
        counters: [
          {
            counter: "exec",
            scope: "grant",
            subject: "ops",
            limit: "tools.k8s_pod_exec.limits[0]",
            windowMs: 60_000,
            max: 10,
            algorithm: "sliding",
            used: 3,
          },
        ],
        at: time,
        policy: { name: "k8s-production", digest: `sha256:${"cd".repeat(32)}` },
      },
    },
  } as UnsealedEvent);
  const completed = chain.seal({
    ...base,
    id: newEventId(),
    type: "call.completed",
    time: time + 2,
    payload: { callId, status: "ok", latencyMs: 2.1, resultBytes: 1834 },
  } as UnsealedEvent);
  return [decided, completed];
}

/**
 * Waits until ClickHouse merges nothing: each run starts on a quiet store, so that one run's
 * figure does not pay for merging the parts the run before it wrote. A run's own merges count.
 */
async function mergesSettled(store: Store): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const running = await store.selectText("SELECT count() FROM system.merges");
    if (running.trim() === "0" || Date.now() > deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the pipeline did not catch up in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Publishes `calls` decided/completed pairs; returns how many events that is. */
async function publishCalls(sink: SpoolSink, calls: number): Promise<number> {
  const chain = new EventChain();
  const events: TollgateEvent[] = [];
  for (let n = 0; n < calls; n++) events.push(...callEventsForBench(chain, n, Date.now()));
  // Publish concurrently so the spool group-commits (as many gateways would).
  for (let i = 0; i < events.length; i += 512)
    await Promise.all(events.slice(i, i + 512).map((e) => sink.publish(e)));
  return events.length;
}

async function sustained(store: Store, dir: string): Promise<Figure[]> {
  const spool = join(dir, "sustained-spool");
  const sink = await SpoolSink.open(spool, { name: "bench" });
  const total = await publishCalls(sink, SUSTAINED_CALLS);
  // The events were made in this process: collect them before timing, so that the figure is
  // ingest's own work. Kept alive, every major collection marked them all again (about 30 µs of
  // CPU per ingested event on the reference machine), which an ingest process never pays.
  globalThis.gc?.();
  await mergesSettled(store);
  const counting = await startCounting();
  const metrics = new IngestMetrics();
  const started = performance.now();
  const running = await ingestFromSpool(
    { store, metrics, deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")), log: () => {} },
    { spool, pollMs: 10 }, // ingest's default batches, as `tollgate up` and `tollgate ingest` read
  );
  await waitFor(() => metrics.eventsStored >= total, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const work = await counting.stop();
  await running.stop();
  await sink.close();
  return [
    {
      name: `ingest, spool → chDB, ${SUSTAINED_LABEL} (batches ≤ ${DEFAULT_SPOOL_BATCH_SIZE / 1000}k)`,
      value: total / seconds,
      unit: "/s",
      note: "goal ≥ 50,000",
    },
    ...workFigures(work, total, "event"),
  ];
}

/** Sustained ingest from Kafka: the events are on the topic before the consumer group starts. */
async function kafkaSustained(store: Store, dir: string): Promise<Figure[]> {
  const named = (process.env.KAFKA_BROKERS ?? "").split(",").filter((address) => address !== "");
  const broker = named.length === 0 ? await startKafkaBroker() : undefined;
  const kafka = createKafka({ brokers: broker?.brokers ?? named, clientId: "tollgate-bench" });
  try {
    const topics = defineBusTopics({ events: `bench-${randomUUID()}`, replicationFactor: 1 });
    const admin = kafka.admin();
    await admin.connect();
    await createWithKafkasSegments(admin, topics.events);
    await ensureTopics(admin, topics);
    await admin.disconnect();
    const total = await produceCalls(kafka, topics.events.name, SUSTAINED_CALLS);
    globalThis.gc?.(); // as in `sustained`: the produced events are not ingest's to carry
    await mergesSettled(store);
    const counting = await startCounting();
    const metrics = new IngestMetrics();
    const started = performance.now();
    const running = await ingestFromKafka(
      { store, metrics, deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")), log: () => {} },
      {
        kafka,
        topic: topics.events.name,
        deadLetterTopic: topics.deadLetter.name,
        groupId: `bench-${randomUUID()}`,
      },
    );
    // The first insert is acknowledged after the group's join and the first fetch: from then on,
    // the rate is the steady one.
    await waitFor(() => metrics.eventsStored > 0, 600_000);
    const first = { at: performance.now(), stored: metrics.eventsStored };
    await waitFor(() => metrics.eventsStored >= total, 600_000);
    const ended = performance.now();
    const work = await counting.stop();
    await running.stop();
    const name = `ingest, Kafka → chDB, ${SUSTAINED_LABEL} (${topics.events.partitions} partitions)`;
    return [
      {
        name,
        value: total / ((ended - started) / 1000),
        unit: "/s",
        note: `goal ≥ 50,000; from the start, joining the group included (${((first.at - started) / 1000).toFixed(1)} s to the first insert)`,
      },
      {
        name: "  the same, after the first insert",
        value: (total - first.stored) / ((ended - first.at) / 1000),
        unit: "/s",
        note: "the steady rate",
      },
      ...workFigures(work, total, "event"),
    ];
  } finally {
    await broker?.stop();
  }
}

/**
 * The events topic as a production broker makes it: with Kafka's default segments of 1 GiB. The
 * project's broker defaults to segments of 1 MiB to keep test disks small, and a fetch reads at
 * most one segment of a partition, which would cap every partition's share of a fetch at 1 MiB.
 */
async function createWithKafkasSegments(admin: Admin, events: TopicSpec): Promise<void> {
  await admin.createTopics({
    waitForLeaders: true,
    topics: [toTopicConfig(events, { "segment.bytes": String(2 ** 30) })],
  });
}

/** `calls` decided/completed pairs onto the topic, keyed by session as the gateway's sink does. */
async function produceCalls(kafka: Kafka, topic: string, calls: number): Promise<number> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const chain = new EventChain();
  let produced = 0;
  for (let first = 0; first < calls; first += 2_500) {
    const messages = [];
    for (let n = first; n < Math.min(calls, first + 2_500); n++) {
      messages.push(...callEventsForBench(chain, n, Date.now()).map(toKafkaMessage));
    }
    await producer.send({ topic, acks: -1, messages });
    produced += messages.length;
  }
  await producer.disconnect();
  return produced;
}

async function steadyLatency(store: Store, dir: string): Promise<Figure[]> {
  await mergesSettled(store);
  const spool = join(dir, "steady-spool");
  const sink = await SpoolSink.open(spool, { name: "bench" });
  const chain = new EventChain();
  const metrics = new IngestMetrics();
  const running = await ingestFromSpool(
    { store, metrics, deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")), log: () => {} },
    { spool, batchSize: 5_000, pollMs: 20 },
  );
  const rate = 5_000;
  const seconds = 10;
  let published = 0;
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    const batch: Promise<void>[] = [];
    for (let n = published; n < due; n += 2) {
      for (const event of callEventsForBench(chain, n, Date.now())) batch.push(sink.publish(event));
    }
    published = Math.max(published, due);
    await Promise.all(batch);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(() => metrics.eventsStored >= published, 120_000);
  await running.stop();
  await sink.close();
  return [
    {
      name: `creation → queryable at ${rate.toLocaleString("en-US")} events/s, p50`,
      value: metrics.latency(0.5) ?? Number.NaN,
      unit: "ms",
    },
    {
      name: `creation → queryable at ${rate.toLocaleString("en-US")} events/s, p99`,
      value: metrics.latency(0.99) ?? Number.NaN,
      unit: "ms",
      note: "goal < 2,000 ms",
    },
  ];
}

export async function runPipelineBench(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-bench-pipeline-"));
  const store = await openStore({ path: join(dir, "clickhouse") });
  try {
    return [
      ...(await sustained(store, dir)),
      ...(await kafkaSustained(store, dir)),
      ...(await steadyLatency(store, dir)),
    ];
  } finally {
    await store.close();
  }
}
