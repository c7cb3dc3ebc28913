/** The spool and a gateway's events file as replay sources. */
import { readJsonl, SpoolReader } from "@tollgate/bus";
import type { TollgateEvent } from "@tollgate/events";
import { type CallSource, ReplaySourceError } from "../run.js";
import { eventsSource } from "./events.js";

const SPOOL_BATCH = 10_000;

/**
 * Everything still in a spool, read under its reader lock and never committed: a spool that an
 * ingest drains holds only what is not stored yet (replay from the store then), so this is for a
 * gateway that spools with nothing ingesting, or for a stopped `tollgate up`.
 */
export function spoolSource(directory: string): CallSource {
  return eventsSource({ kind: "spool", detail: `spool ${directory} (read, not committed)` }, () =>
    spoolEvents(directory),
  );
}

async function* spoolEvents(directory: string): AsyncIterable<TollgateEvent[]> {
  const reader = await SpoolReader.open(directory);
  try {
    for (;;) {
      const batch = await reader.read(SPOOL_BATCH);
      if (batch.records.length === 0 && batch.poison.length === 0 && batch.damage.length === 0) return;
      yield batch.records.map((record) => record.event);
    }
  } finally {
    await reader.close();
  }
}

/** A gateway's `--events` JSON-lines file. Lines that are not events fail the replay, by line. */
export function eventsFileSource(path: string): CallSource {
  return eventsSource({ kind: "events-file", detail: path }, async function* () {
    const contents = await readJsonl(path);
    const [problem] = contents.problems;
    if (problem !== undefined) {
      throw new ReplaySourceError(`${path}:${problem.line}: not a tollgate event: ${problem.error}`);
    }
    yield contents.events;
  });
}
