/**
 * One batch into the store, the same for every source: dead letters first (durably), then the events,
 * retried with backoff for as long as ClickHouse is unavailable. The caller commits the batch's
 * position only after this resolves, so a crash anywhere before that re-delivers the batch, and
 * ClickHouse's dedup (by event id, and by the batch token) makes the re-delivery harmless.
 */
import type { TollgateEvent } from "@tollgate/events";
import { type EventRows, EventRowsWriter, type RowBuffers, type Store } from "@tollgate/store";
import type { DeadLetter, DeadLetterSink } from "./dead-letters.js";
import type { IngestMetrics } from "./metrics.js";

export interface Batch {
  /**
   * The batch's events, already encoded for the store (`EventEncoder`): ingest encodes the next
   * batch while ClickHouse stores this one.
   */
  rows: EventRows;
  /** When each event was made (epoch ms), for the creation → queryable latency. */
  createdAt: readonly number[];
  deadLetters: DeadLetter[];
  /** Names the batch for ClickHouse's insert deduplication: the same range gives the same token. */
  token: string;
}

/**
 * A batch's events encoded into rows as each is read, and when each was made: what both sources hand
 * `storeBatch`. The JSON goes in as the gateway wrote it, byte for byte, and the parsed event need
 * not outlive `add` (docs/PERFORMANCE.md, pipeline steps 17 and 19).
 */
export class EventEncoder {
  readonly createdAt: number[] = [];
  private readonly writer: EventRowsWriter;

  /** `expected`: about how many events the batch will hold, to size its first buffer. */
  constructor(expected: number, rowBuffers: RowBuffers) {
    this.writer = new EventRowsWriter(expected, rowBuffers);
  }

  add(event: TollgateEvent, json: Uint8Array): void {
    this.writer.add({ event, json });
    this.createdAt.push(event.time);
  }

  rows(): EventRows {
    return this.writer.rows();
  }
}

export interface BatchContext {
  store: Pick<Store, "insertRows">;
  /** Where a batch's rows were encoded from, if anywhere: they go back once stored. */
  rowBuffers?: RowBuffers;
  deadLetters: DeadLetterSink;
  metrics: IngestMetrics;
  log(message: string): void;
  /** True once ingest is stopping: retrying ends and the batch stays uncommitted. */
  stopping(): boolean;
  retryDelayMs?: number;
}

/** What a caller gives an ingest; whether it is stopping, and its row memory, are its own. */
export type IngestContext = Omit<BatchContext, "stopping" | "rowBuffers">;

export class IngestStopped extends Error {}

export async function storeBatch(context: BatchContext, batch: Batch): Promise<void> {
  if (batch.deadLetters.length > 0) {
    await context.deadLetters.write(batch.deadLetters);
    context.metrics.deadLetters += batch.deadLetters.length;
    // The error quotes the message itself, which may be any bytes: JSON-escape it for the log.
    for (const letter of batch.deadLetters) {
      context.log(`tollgate ingest: dead-lettered ${letter.origin}: ${JSON.stringify(letter.error)}`);
    }
  }
  if (batch.rows.count === 0) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await context.store.insertRows(batch.rows, { deduplicationToken: batch.token });
      context.metrics.stored(batch.rows.count, batch.createdAt);
      context.rowBuffers?.giveBack(batch.rows);
      return;
    } catch (error) {
      if (context.stopping())
        throw new IngestStopped(`stopped while ClickHouse was failing: ${String(error)}`);
      context.metrics.storeRetries += 1;
      if (attempt === 1 || attempt % 20 === 0) {
        context.log(
          `tollgate ingest: ClickHouse write failed (${String(error)}); pausing, nothing committed, retry ${attempt}`,
        );
      }
      const base = context.retryDelayMs ?? 200;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(base * 2 ** Math.min(attempt - 1, 5), 5_000)),
      );
    }
  }
}
