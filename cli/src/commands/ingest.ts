/** `tollgate ingest`: moves events from the spool into ClickHouse until stopped. */
import { join } from "node:path";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "@tollgate/ingest";
import { openStore, storeOptionsFromEnv } from "@tollgate/store";
import Fastify from "fastify";
import { ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";
import { parseListenAddress } from "./listen.js";

export interface IngestCommandOptions {
  spool: string;
  store: string;
  deadLetters?: string;
  metrics?: string;
  batchSize: number;
}

export async function ingestCommand(options: IngestCommandOptions, output: Output): Promise<number> {
  const store = await openStore(storeOptionsFromEnv(options.store));
  const metrics = new IngestMetrics();
  const deadLetters = new JsonlDeadLetters(
    options.deadLetters ?? join(options.spool, "..", "dead-letters.jsonl"),
  );
  const running = await ingestFromSpool(
    { store, deadLetters, metrics, log: (message) => output.err(message) },
    { spool: options.spool, batchSize: options.batchSize },
  );
  const server = options.metrics === undefined ? undefined : await serveMetrics(metrics, options.metrics);
  const where = "url" in store.target ? store.target.url : store.target.path;
  output.err(
    `tollgate ingest: spool ${options.spool} → ClickHouse ${where}, dead letters → ${deadLetters.path}`,
  );
  if (server !== undefined) output.err(`tollgate ingest: metrics at ${server.url}`);
  const report = setInterval(() => {
    output.err(
      `tollgate ingest: ${metrics.eventsStored} events stored, ${metrics.deadLetters} dead letters, ${Math.round(metrics.throughput)}/s`,
    );
  }, 30_000);
  report.unref();
  await Promise.race([running.done, untilSignalled()]);
  await running.stop();
  clearInterval(report);
  await server?.close();
  await store.close();
  output.err(`tollgate ingest: stopped after ${metrics.eventsStored} events`);
  return ExitCode.ok;
}

async function serveMetrics(metrics: IngestMetrics, listen: string) {
  const app = Fastify({ logger: false });
  app.get("/metrics", async (_request, reply) =>
    reply.type("text/plain; version=0.0.4").send(metrics.prometheus()),
  );
  const { host, port } = parseListenAddress(listen);
  const address = await app.listen({ host, port });
  return { url: `${address}/metrics`, close: () => app.close() };
}

function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
