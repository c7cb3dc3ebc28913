/** Hands the day's events to the spool that `tollgate up` (or `tollgate ingest`) reads. */
import { SpoolSink } from "@tollgate/bus";
import type { TollgateEvent } from "@tollgate/events";

/** Events handed over at once: the spool commits each window with one fsync, as the gateway's recorder does. */
const WINDOW = 512;

/** Resolves once every event is fsync'd; the writer's own segments are then final. */
export async function writeToSpool(spool: string, events: readonly TollgateEvent[]): Promise<void> {
  const sink = await SpoolSink.open(spool, { name: "demo-traffic" });
  try {
    for (let start = 0; start < events.length; start += WINDOW)
      await Promise.all(events.slice(start, start + WINDOW).map((event) => sink.publish(event)));
  } finally {
    await sink.close();
  }
}
