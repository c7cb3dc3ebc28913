/**
 * ClickHouse unavailable: ingest pauses and retries without committing, then catches up. The store
 * is the real embedded engine; the outage is injected in front of it (chDB runs in-process and cannot
 * be taken down from outside), failing the first writes the way an unreachable server does.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpoolSink } from "@tollgate/bus";
import { openStore, type Store, StoreUnavailableError } from "@tollgate/store";
import { expect, test } from "vitest";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "../src/index.js";
import { committedSeq, policyEvents } from "./spool-fixtures.js";

test("while ClickHouse fails, nothing is committed; when it returns, every event lands once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-outage-"));
  const spool = join(dir, "spool");
  const store = await openStore({ path: join(dir, "clickhouse") });
  const sink = await SpoolSink.open(spool, { name: "gw" });
  const events = policyEvents(120, "gw-outage");
  for (const event of events) await sink.publish(event);

  let failuresLeft = 4;
  const seqDuringOutage: number[] = [];
  const flaky: Pick<Store, "insertRows"> = {
    async insertRows(batch, options) {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        seqDuringOutage.push(await committedSeq(spool));
        throw new StoreUnavailableError("ClickHouse is not answering (injected outage)");
      }
      return store.insertRows(batch, options);
    },
  };
  const metrics = new IngestMetrics();
  const log: string[] = [];
  const running = await ingestFromSpool(
    {
      store: flaky,
      deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")),
      metrics,
      log: (m) => log.push(m),
      retryDelayMs: 10,
    },
    { spool, batchSize: 50, pollMs: 10 },
  );
  const deadline = Date.now() + 30_000;
  while ((await committedSeq(spool)) < events.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await running.stop();

  expect(seqDuringOutage).toEqual([0, 0, 0, 0]); // the failing batch was never committed
  expect(metrics.storeRetries).toBe(4);
  expect(log[0]).toContain("ClickHouse write failed");
  expect(log[0]).toContain("nothing committed");
  expect(await store.countEvents()).toBe(events.length);
  expect(new Set(await store.eventIds())).toEqual(new Set(events.map((e) => e.id)));
  await sink.close();
  await store.close();
});
