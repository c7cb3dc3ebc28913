/**
 * Ingest from the spool (the embedded default): read a batch, store it, commit its position, repeat;
 * poll when there is nothing new. Damage the spool reports (a torn or corrupt segment tail) is logged
 * and dead-lettered as a record of what was lost.
 */
import { createHash } from "node:crypto";
import { type SpoolBatchRest, type SpoolPosition, SpoolReader } from "@tollgate/bus";
import { RowBuffers } from "@tollgate/store";
import type { DeadLetter } from "./dead-letters.js";
import {
  type Batch,
  type BatchContext,
  EventEncoder,
  type IngestContext,
  IngestStopped,
  storeBatch,
} from "./store-batch.js";

export interface SpoolIngestOptions {
  spool: string;
  /** Events per insert, at most (a batch holds what the spool has, up to this). */
  batchSize?: number;
  pollMs?: number;
}

/**
 * Up to 20,000 events per insert, about what one of Kafka ingest's fetches holds. A batch takes
 * what the spool has, so at a steady rate batches stay small and latency does not grow; catching
 * up, each insert's fixed cost and the merges of its part weigh on fewer events. Against batches
 * of 10,000 (the spool probe, three pairs): ClickHouse's CPU 11.2-13.9 µs per event against
 * 15.4-17.0 (docs/PERFORMANCE.md, pipeline, eleventh session).
 */
export const DEFAULT_SPOOL_BATCH_SIZE = 20_000;

/**
 * Batches ClickHouse stores at once. One insert alone left ClickHouse idle while ingest read and
 * encoded the next batch, and ingest idle while an insert's single-threaded stages ran: two at
 * once took sustained ingest from 19–21k to 24–28k events/s (docs/PERFORMANCE.md, pipeline step 10);
 * three or four were no faster, within noise, and hold more batches in memory.
 */
const STORES_AT_ONCE = 2;

export interface RunningIngest {
  /** Resolves when the loop has stopped (after `stop()`, or on a fatal error, which it rethrows). */
  done: Promise<void>;
  /** Stops; with `drain`, first stores everything already in the spool (its writers have stopped). */
  stop(options?: { drain?: boolean }): Promise<void>;
}

export async function ingestFromSpool(
  context: IngestContext,
  options: SpoolIngestOptions,
): Promise<RunningIngest> {
  const reader = await SpoolReader.open(options.spool);
  let stopping = false;
  let draining = false;
  const rowBuffers = new RowBuffers();
  const batchContext: BatchContext = { ...context, rowBuffers, stopping: () => stopping };
  const loop = async () => {
    try {
      // A batch is encoded for the store as soon as it is read, so that work overlaps the inserts
      // of the batches before it. Batches are committed in the spool's order, each only after it
      // and every batch before it are stored, so a stop or a crash re-delivers whatever was not:
      // still at-least-once (a re-delivered batch has the same token, and reads collapse event ids).
      // Whether a read began once a drain was asked for: only such a read, found empty, shows that
      // everything the stopped writers left is read. One already under way may have looked before
      // their last records were written, and a drain that ended on it left them in the spool.
      const read = () => {
        const sinceDrain = draining;
        return readBatch(reader, options.batchSize ?? DEFAULT_SPOOL_BATCH_SIZE, rowBuffers).then((batch) => ({
          batch,
          sinceDrain,
        }));
      };
      const storing: { batch: SpoolIngestBatch; stored: Promise<void> }[] = [];
      const commitOldest = async () => {
        const oldest = storing.shift();
        if (oldest === undefined) return;
        await oldest.stored;
        await reader.commit(oldest.batch.position);
      };
      let next = read();
      try {
        while (!stopping || draining) {
          const { batch, sinceDrain } = await next;
          if (isEmpty(batch)) {
            while (storing.length > 0) await commitOldest();
            if (draining && sinceDrain) break;
            if (!draining) await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
            next = read();
            continue;
          }
          next = read();
          const stored = storeBatch(batchContext, batch);
          // Awaited in order by commitOldest; this only keeps a failure of a later batch, while an
          // earlier one is awaited, from counting as unhandled.
          stored.catch(() => undefined);
          storing.push({ batch, stored });
          if (storing.length >= STORES_AT_ONCE) await commitOldest();
        }
        while (storing.length > 0) await commitOldest();
      } finally {
        await Promise.allSettled(storing.map((entry) => entry.stored));
      }
      await next.catch(() => undefined);
    } catch (error) {
      if (!(error instanceof IngestStopped)) throw error;
    } finally {
      await reader.close();
    }
  };
  const done = loop();
  return {
    done,
    async stop(stopOptions) {
      // Draining still counts as stopping: if ClickHouse fails meanwhile, the rest stays in the spool.
      draining = stopOptions?.drain === true;
      stopping = true;
      await done;
    },
  };
}

/** A batch for the store, and where the spool stands after it (committed once it is stored). */
type SpoolIngestBatch = Batch & { position: SpoolPosition };

function isEmpty(batch: SpoolIngestBatch): boolean {
  return batch.rows.count === 0 && batch.deadLetters.length === 0;
}

/** The next batch, each record encoded as it is read (`EventEncoder`). */
async function readBatch(
  reader: SpoolReader,
  batchSize: number,
  rowBuffers: RowBuffers,
): Promise<SpoolIngestBatch> {
  const encoder = new EventEncoder(batchSize, rowBuffers);
  // The token names the batch's records: the same records, read again after a crash, give the
  // same token. Hashed as they come, it is the hash of their names joined by commas.
  const names = createHash("sha256");
  const rest = await reader.readEach(batchSize, (record) => {
    const separator = encoder.createdAt.length === 0 ? "" : ",";
    names.update(`${separator}${record.origin.writer}:${record.origin.seq}`);
    encoder.add(record.event, record.payload);
  });
  return {
    rows: encoder.rows(),
    createdAt: encoder.createdAt,
    deadLetters: deadLettersOf(rest),
    token: `spool-${names.digest("hex").slice(0, 32)}`,
    position: rest.position,
  };
}

function deadLettersOf(batch: SpoolBatchRest): DeadLetter[] {
  return [
    ...batch.poison.map((poison) => ({
      origin: `spool:${poison.origin.writer}/${poison.origin.segment}@${poison.origin.offset}`,
      error: poison.error,
      payload: poison.payload,
    })),
    ...batch.damage.map((damage) => ({
      origin: `spool:${damage.writer}/${damage.segment}@${damage.offset}`,
      error: `${damage.kind} segment data (${damage.bytes} bytes skipped): ${damage.reason}`,
      payload: new Uint8Array(),
    })),
  ];
}
