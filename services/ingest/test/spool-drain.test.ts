/**
 * Stopping with `drain`, as `tollgate up` does once its gateway has stopped: every event the
 * gateway left in the spool is stored first, even those written while a read was under way.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpoolSink } from "@tollgate/bus";
import { openStore } from "@tollgate/store";
import { expect, test } from "vitest";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "../src/index.js";
import { policyEvents } from "./spool-fixtures.js";

test("a drain stores the events written while a read was under way, round after round", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-drain-"));
  const store = await openStore({ path: join(dir, "clickhouse") });
  try {
    for (let round = 0; round < 8; round += 1) {
      const spool = join(dir, `spool-${round}`);
      const sink = await SpoolSink.open(spool, { name: "gw" });
      const events = policyEvents(200, `gw-drain-${round}`);
      // Polling without a pause keeps a read under way almost all the time, so that the last
      // events are often written while a read that began before them is still running.
      const running = await ingestFromSpool(
        {
          store,
          metrics: new IngestMetrics(),
          deadLetters: new JsonlDeadLetters(join(dir, "dead.jsonl")),
          log: () => {},
        },
        { spool, batchSize: 50, pollMs: 0 },
      );
      for (let first = 0; first < events.length; first += 20) {
        await Promise.all(events.slice(first, first + 20).map((event) => sink.publish(event)));
      }
      await sink.close();
      await running.stop({ drain: true });
      expect(await store.countEvents({ instance: `gw-drain-${round}` }), `round ${round}`).toBe(
        events.length,
      );
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
