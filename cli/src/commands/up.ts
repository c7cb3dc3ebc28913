/**
 * `tollgate up`: everything on one machine in one process, the embedded default — the gateway over
 * HTTP writing events to a local spool, and ingest moving them into an embedded ClickHouse (chDB).
 */
import { join } from "node:path";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "@tollgate/ingest";
import { openStore, storeOptionsFromEnv } from "@tollgate/store";
import type { Output } from "../output.js";
import { type GatewayCommandOptions, gatewayCommand } from "./gateway.js";

export interface UpOptions extends GatewayCommandOptions {
  /** Where the spool, the embedded ClickHouse and the dead letters live. */
  data: string;
}

export async function upCommand(command: string[], options: UpOptions, output: Output): Promise<number> {
  const spool = join(options.data, "spool");
  const storeDir = join(options.data, "clickhouse");
  const store = await openStore(storeOptionsFromEnv(storeDir));
  const metrics = new IngestMetrics();
  const deadLetters = new JsonlDeadLetters(join(options.data, "dead-letters.jsonl"));
  const ingest = await ingestFromSpool(
    { store, deadLetters, metrics, log: (message) => output.err(message) },
    { spool },
  );
  const where = "url" in store.target ? store.target.url : store.target.path;
  output.err(`tollgate up: events → spool ${spool} → ingest → ClickHouse ${where}`);
  output.err(hints(options));
  try {
    return await gatewayCommand(
      command,
      { ...options, spool, listen: options.listen ?? "127.0.0.1:8787" },
      output,
    );
  } finally {
    // The gateway has stopped writing: store what it left in the spool before closing.
    await ingest.stop({ drain: true });
    await store.close();
    output.err(`tollgate up: stopped; ${metrics.eventsStored} events stored this run`);
  }
}

function hints(options: UpOptions): string {
  const admin = options.adminTokenEnv ?? "TOLLGATE_ADMIN_TOKEN";
  return [
    "next:",
    "  point an MCP client at the URL below with `Authorization: Bearer <agent token>`",
    `  ${admin}=… npx tollgate approvals list            # calls held by approve rules`,
    "  npx tollgate verify examples/policies/k8s.json     # prove a policy's invariants",
    `  npx tollgate audit verify --store ${join(options.data, "clickhouse")}   # after stopping: the engine is this process's`,
  ].join("\n");
}
