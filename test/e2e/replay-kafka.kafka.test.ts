/**
 * Replay straight from the events topic, on real parts: six agents' sessions go through the real
 * gateway (MCP over Streamable HTTP, the Kubernetes fixture upstream), its events to a real Kafka
 * broker on a three-partition topic keyed by session, so the gateway's chain is spread over the
 * partitions, and to the embedded ClickHouse. `tollgate replay --kafka` must reproduce every
 * recorded decision and report exactly what replaying the store reports, despite a message that is
 * not an event and a re-shipped duplicate on the topic.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createKafka, defineBusTopics, ensureTopics, KafkaSink } from "@tollgate/bus";
import { type EventSink, MemorySink, serializeEvent, type TollgateEvent } from "@tollgate/events";
import type { ReplayReport } from "@tollgate/replay";
import { logLevel } from "kafkajs";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { exec, LIVE_POLICY as LIVE, withExecLimit } from "../support/k8s-replay-policy.js";
import { useKafka } from "../support/kafka.js";
import { startRecordingGateway } from "../support/recording-gateway.js";
import { storeEvents } from "../support/store.js";

const LOOSE = withExecLimit(9, "k8s-loose");
const SESSIONS = 6;

const brokers = useKafka();
const topic = `replay-${randomUUID()}.events`;
let dir: string;
let storeDir: string;
let from: number;
let to: number;
const files: Record<string, string> = {};

async function replay(source: string[], candidate: string) {
  const window = ["--from", String(from), "--to", String(to)];
  const policies = ["--policy", files[candidate] as string, "--baseline", files.live as string];
  const result = await runCli(["replay", ...source, ...policies, ...window, "--format", "json"]);
  return { ...result, report: JSON.parse(result.out || "null") as ReplayReport };
}

const fromKafka = () => ["--kafka", brokers.join(","), "--kafka-topic", topic];
const fromStore = () => ["--store", storeDir];

/** Every event to Kafka and to memory (for the store), in the gateway's order. */
function tee(kafka: KafkaSink, memory: MemorySink): EventSink {
  return {
    async publish(event) {
      await Promise.all([kafka.publish(event), memory.publish(event)]);
    },
    async close() {
      await kafka.close();
    },
  };
}

async function sessionClient(url: string): Promise<Client> {
  const client = new Client({ name: "replay-kafka-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: "Bearer t" } },
    }),
  );
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tollgate-replay-kafka-"));
  storeDir = join(dir, "clickhouse");
  for (const [name, doc] of Object.entries({ live: LIVE, loose: LOOSE })) {
    files[name] = join(dir, `${name}.json`);
    await writeFile(files[name] as string, JSON.stringify(doc));
  }
  const kafka = createKafka({ brokers, clientId: "replay-kafka-test", logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(
    admin,
    defineBusTopics({ events: topic, partitions: 3, replicationFactor: 1, minInsyncReplicas: 1 }),
  );
  await admin.disconnect();

  const memory = new MemorySink();
  const recording = await startRecordingGateway(
    tee(new KafkaSink({ kafka, topic, lingerMs: 2 }), memory),
    LIVE,
  );
  from = Date.now() - 1;
  const clients = [recording.client];
  for (let i = 1; i < SESSIONS; i += 1) clients.push(await sessionClient(recording.http.url));
  try {
    // Sessions take turns, so the grant's shared exec limit depends on the order across partitions:
    // 12 execs, 5 allowed and 7 rate-limited; one rm refused; reads allowed; deletes refused.
    for (let round = 0; round < 2; round += 1) {
      for (const client of clients) {
        await client.callTool(exec("ls /var/log"));
        await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "prod-eu" } });
      }
    }
    await clients[0]?.callTool(exec("rm -rf /"));
    await clients[1]?.callTool({ name: "k8s_delete_ns", arguments: { context: "prod-eu", name: "shop" } });
    await recording.gateway.core.recorder.flush();
  } finally {
    for (const client of clients.slice(1)) await client.close();
    await recording.close();
  }
  to = Date.now() + 1;

  // What a crashed spool re-ships, and something that is not an event at all.
  const decided = memory.events.find((event) => event.type === "call.decided") as TollgateEvent;
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({
    topic,
    messages: [
      { key: decided.session?.id ?? null, value: serializeEvent(decided) },
      { key: "poison", value: "{not json" },
    ],
  });
  await producer.disconnect();

  await storeEvents(storeDir, memory.events);
}, 180_000);

describe("tollgate replay --kafka", () => {
  it("reproduces every recorded decision from the topic, and reports what the store replay reports", async () => {
    const kafka = await replay(fromKafka(), "loose");
    const store = await replay(fromStore(), "loose");
    expect(kafka.err).toBe("");
    expect(kafka.code).toBe(0);
    expect(kafka.report.selfCheck).toMatchObject({ checked: 26, mismatches: 0 });
    expect(kafka.report.coverage).toMatchObject({
      calls: 26,
      replayed: 26,
      notReplayable: [],
      unverified: [],
    });
    // The loosened limit (9 instead of 5) lets exactly 4 of the 7 rate-limited execs through.
    expect(kafka.report.summary).toMatchObject({ changed: 4, newlyAllowed: 4, newlyBlocked: 0 });
    expect(kafka.report.matrix).toEqual(store.report.matrix);
    expect(kafka.report.summary).toEqual(store.report.summary);
    expect(kafka.report.attribution).toEqual(store.report.attribution);
    expect(kafka.report.transitions.flatMap((cell) => cell.examples.map((e) => e.eventId)).sort()).toEqual(
      store.report.transitions.flatMap((cell) => cell.examples.map((e) => e.eventId)).sort(),
    );
  });

  it("names the offsets it read and what it left out", async () => {
    const { report } = await replay(fromKafka(), "live");
    expect(report.provenance.source.kind).toBe("kafka");
    const detail = report.provenance.source.detail;
    expect(detail).toContain(`topic ${topic}`);
    expect(detail).toMatch(/offsets 0:\[\d+,\d+\) 1:\[\d+,\d+\) 2:\[\d+,\d+\)/);
    expect(detail).toContain("1 not events, left out (first: partition");
    expect(detail).toContain("not JSON");
    expect(detail).toContain("1 duplicate events dropped");
    expect(report.summary.changed).toBe(0);
  });

  it("refuses a topic that does not exist, a broker that is not there, and two sources at once (exit 3)", async () => {
    const lastHour = (...source: string[]) =>
      runCli(["replay", ...source, "--policy", files.live as string, "--since", "1h"]);
    const missing = await lastHour("--kafka", brokers.join(","), "--kafka-topic", "no.such.topic");
    expect(missing.code).toBe(3);
    expect(missing.err).toContain("topic no.such.topic does not exist");

    const dead = await lastHour("--kafka", "127.0.0.1:1");
    expect(dead.code).toBe(3);
    expect(dead.err).toContain("cannot read topic tollgate.events at 127.0.0.1:1");

    const both = await lastHour(...fromKafka(), "--spool", dir);
    expect(both.code).toBe(3);
    expect(both.err).toContain("--spool and --kafka were both given");
  }, 60_000);
});
