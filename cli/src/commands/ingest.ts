/** `tollgate ingest`: moves events from the spool into ClickHouse until stopped. */
import {
  IngestMetrics,
  ingestFromKafka,
  ingestFromSpool,
  JsonlDeadLetters,
  type RunningIngest,
} from "@tollgate/ingest";
import { openStore, storeOptionsFromEnv } from "@tollgate/store";
import Fastify from "fastify";
import { ExitCode, UsageError } from "../exit-codes.js";
import type { Output } from "../output.js";
import { connectKafka } from "./kafka.js";
import { parseListenAddress } from "./listen.js";
import { untilSignalled } from "./signals.js";

export interface IngestCommandOptions {
  spool?: string;
  kafka?: string;
  kafkaTopic: string;
  group: string;
  store: string;
  deadLetters?: string;
  metrics?: string;
  batchSize: number;
}

export async function ingestCommand(options: IngestCommandOptions, output: Output): Promise<number> {
  if ((options.spool === undefined) === (options.kafka === undefined)) {
    throw new UsageError("ingest reads one source: give --spool DIR or --kafka BROKERS");
  }
  const store = await openStore(storeOptionsFromEnv(options.store));
  const metrics = new IngestMetrics();
  const log = (message: string) => output.err(message);
  const deadLetters = new JsonlDeadLetters(options.deadLetters ?? ".tollgate/dead-letters.jsonl");
  const context = { store, deadLetters, metrics, log };
  let running: RunningIngest;
  let source: string;
  let refreshLag = async () => {};
  if (options.kafka !== undefined) {
    const { kafka, topics } = await connectKafka({
      brokers: options.kafka,
      topic: options.kafkaTopic,
      clientId: "tollgate-ingest",
    });
    const consuming = await ingestFromKafka(context, {
      kafka,
      topic: topics.events.name,
      deadLetterTopic: topics.deadLetter.name,
      groupId: options.group,
    });
    running = consuming;
    refreshLag = async () => void (await consuming.lag().catch(() => 0));
    source = `Kafka ${options.kafka} topic ${topics.events.name} (group ${options.group}, dead letters → ${topics.deadLetter.name})`;
  } else {
    const spool = options.spool as string;
    running = await ingestFromSpool(context, { spool, batchSize: options.batchSize });
    source = `spool ${spool} (dead letters → ${deadLetters.path})`;
  }
  const server =
    options.metrics === undefined ? undefined : await serveMetrics(metrics, options.metrics, refreshLag);
  const where = "url" in store.target ? store.target.url : store.target.path;
  output.err(`tollgate ingest: ${source} → ClickHouse ${where}`);
  if (server !== undefined) output.err(`tollgate ingest: metrics at ${server.url}`);
  const report = setInterval(() => {
    output.err(
      `tollgate ingest: ${metrics.eventsStored} events stored, ${metrics.deadLetters} dead letters, ${Math.round(metrics.throughput)}/s, lag ${metrics.lag}`,
    );
  }, 30_000);
  report.unref();
  let exitCode: number = ExitCode.ok;
  try {
    await Promise.race([running.done, untilSignalled()]);
  } catch (error) {
    output.err(
      `tollgate ingest: the source failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    exitCode = ExitCode.failed;
  }
  await running.stop();
  clearInterval(report);
  await server?.close();
  await store.close();
  output.err(`tollgate ingest: stopped after ${metrics.eventsStored} events`);
  return exitCode;
}

async function serveMetrics(metrics: IngestMetrics, listen: string, refreshLag: () => Promise<void>) {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_request, reply) => {
    await refreshLag();
    return reply.type("text/plain; version=0.0.4").send(metrics.prometheus());
  });
  const { host, port } = parseListenAddress(listen);
  const address = await app.listen({ host, port });
  return { url: `${address}/metrics`, close: () => app.close() };
}
