/**
 * Micro-benchmark: events/second inserted in batches of 10k (as ingest writes them) and rows/second
 * read back with their JSON. Run it with
 *   node --import tsx packages/store/test/bench.ts [events]        (embedded chDB in a temp dir)
 *   CLICKHOUSE_URL=http://… node --import tsx packages/store/test/bench.ts [events]
 * Generating and sealing events is outside the timed parts.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { TollgateEvent } from "@tollgate/events";
import { recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import { openStore, type Store, storeOptionsFromEnv } from "../src/index.js";

export const BATCH = 10_000;

export interface BenchFigures {
  /** The gateway instance the benchmark's events belong to. */
  instance: string;
  events: number;
  batches: number;
  insertSeconds: number;
  eventsPerSecond: number;
  readRows: number;
  readSeconds: number;
  rowsPerSecond: number;
  /** Mean size of one event's JSON, to put the rates in bytes. */
  meanEventBytes: number;
}

export async function benchInsert(store: Store, n: number): Promise<BenchFigures> {
  const gateway = new TestGateway();
  const traffic = new Traffic(gateway);
  let insertMs = 0;
  let bytes = 0;
  let batches = 0;
  for (let done = 0; done < n; done += BATCH) {
    const batch = traffic.next(Math.min(BATCH, n - done));
    bytes += batch.reduce((sum, event) => sum + JSON.stringify(event).length, 0);
    const started = performance.now();
    await store.insertEvents(batch, { deduplicationToken: `${gateway.instance}:${done}` });
    insertMs += performance.now() - started;
    batches += 1;
  }
  const started = performance.now();
  const read = await store.readEvents({ instance: gateway.instance });
  const readMs = performance.now() - started;
  return {
    instance: gateway.instance,
    events: n,
    batches,
    insertSeconds: round(insertMs / 1000),
    eventsPerSecond: Math.round(n / (insertMs / 1000)),
    readRows: read.length,
    readSeconds: round(readMs / 1000),
    rowsPerSecond: Math.round(read.length / (readMs / 1000)),
    meanEventBytes: Math.round(bytes / n),
  };
}

/** Calls of 20 agents over 50 tools, a minute apart per session: decided + completed pairs. */
class Traffic {
  private readonly sessions;
  private at = recentHour(30);
  private count = 0;

  constructor(private readonly gateway: TestGateway) {
    this.sessions = Array.from({ length: 20 }, (_, n) => gateway.session(uniqueName(`agent${n}`)));
  }

  next(size: number): TollgateEvent[] {
    const batch: TollgateEvent[] = [];
    while (batch.length < size) {
      const session = this.sessions[this.count % this.sessions.length]!;
      const n = this.count++;
      this.at += 250;
      const outcome = n % 10 === 0 ? "deny" : "allow";
      const call = this.gateway.call(session, {
        tool: `k8s_tool_${n % 50}`,
        outcome,
        arguments: { namespace: `team-${n % 7}`, name: `pod-${n}`, command: "kubectl get pods -o wide" },
        at: this.at,
      });
      batch.push(...call.slice(0, size - batch.length));
    }
    return batch;
  }
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100_000);
  const path = mkdtempSync(join(tmpdir(), "tollgate-store-bench-"));
  const store = await openStore(storeOptionsFromEnv(path));
  try {
    console.log(JSON.stringify({ target: store.target, ...(await benchInsert(store, n)) }, null, 2));
  } finally {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
