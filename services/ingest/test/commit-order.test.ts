/**
 * Two batches are stored at once, but the spool is committed in its order: a batch stored before
 * the one ahead of it waits, uncommitted, so a crash then re-delivers both and loses neither.
 * The store is the real embedded engine; the slow insert is held in front of it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpoolSink } from "@tollgate/bus";
import { openStore, type Store } from "@tollgate/store";
import { expect, test } from "vitest";
import { until } from "../../../test/support/waiting.js";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "../src/index.js";
import { committedSeq, policyEvents } from "./spool-fixtures.js";

test("a batch stored before the one ahead of it stays uncommitted until that one is stored", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-commit-order-"));
  const spool = join(dir, "spool");
  const store = await openStore({ path: join(dir, "clickhouse") });
  const sink = await SpoolSink.open(spool, { name: "gw" });
  const events = policyEvents(100, "gw-order");
  for (const event of events) await sink.publish(event);

  let releaseFirst: () => void = () => {};
  const firstHeld = new Promise<void>((resolve) => {
    releaseFirst = resolve;
  });
  const stored: number[] = [];
  let inserts = 0;
  const gated: Pick<Store, "insertRows"> = {
    async insertRows(rows, options) {
      const insert = ++inserts;
      if (insert === 1) await firstHeld;
      await store.insertRows(rows, options);
      stored.push(insert);
    },
  };
  const running = await ingestFromSpool(
    {
      store: gated,
      deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")),
      metrics: new IngestMetrics(),
      log: () => {},
    },
    { spool, batchSize: 50, pollMs: 10 },
  );
  try {
    await until(async () => stored.includes(2), "the second batch to be stored");
    // Stored, but the batch ahead of it is not: nothing may be committed yet.
    expect(await committedSeq(spool)).toBe(0);
    expect(await store.countEvents()).toBe(50);
    releaseFirst();
    await until(async () => (await committedSeq(spool)) === events.length, "both batches committed");
  } finally {
    releaseFirst();
    await running.stop();
  }
  expect(stored).toEqual([2, 1]);
  expect(new Set(await store.eventIds())).toEqual(new Set(events.map((event) => event.id)));
  await sink.close();
  await store.close();
});
