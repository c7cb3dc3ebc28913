/**
 * Ingest from Kafka: a consumer group whose handler stores each batch; the consumer commits the
 * batch's offsets only after the handler resolves, retries a batch whose store failed, and sends
 * messages that are not events to the dead-letter topic with their origin. The partitions of one
 * fetch are handled at once and stored as one insert (batch-groups.ts), and the next fetch is read
 * while it is stored (the consumer's `maxEventsInFlight`: commits then follow, in order).
 */
import { createHash } from "node:crypto";
import { consumeEvents, type EventBatch, type Kafka } from "@tollgate/bus";
import { eventRows, RowBuffers } from "@tollgate/store";
import { BatchGroups } from "./batch-groups.js";
import type { RunningIngest } from "./spool-ingest.js";
import { type Batch, type BatchContext, type IngestContext, storeBatch } from "./store-batch.js";

export interface KafkaIngestOptions {
  kafka: Kafka;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
}

/**
 * Partition batches handled at once: at least as many as a member is assigned (the events topic
 * has 12 by default), so that every partition of a fetch joins one insert (batch-groups.ts).
 */
const PARTITIONS_AT_ONCE = 64;
/**
 * About two fetches (10 MB each by default): the next fetch is read, checked and encoded while the
 * last one is stored. With none in flight, kafkajs fetched only once the last fetch was stored and
 * committed, and the main thread idled a third of the time (docs/PERFORMANCE.md, pipeline step 11).
 */
const EVENTS_IN_FLIGHT = 20_000;
/**
 * What one fetch may take of a partition (kafkajs's default is 1 MiB). Partitions fill unevenly,
 * since events are keyed by session: once the light ones are read, a fetch of 1 MiB per partition
 * carried only a few thousand events, and ingest waited on the broker between them. A fetch is
 * still capped at 10 MB in all (kafkajs's `maxBytes`), so memory is bounded as before.
 */
const BYTES_PER_PARTITION = 4 * 1024 * 1024;

export async function ingestFromKafka(
  context: IngestContext,
  options: KafkaIngestOptions,
): Promise<RunningIngest & { lag(): Promise<number> }> {
  let stopping = false;
  const rowBuffers = new RowBuffers();
  const batchContext: BatchContext = { ...context, rowBuffers, stopping: () => stopping };
  const groups = new BatchGroups<EventBatch>((batches) =>
    storeBatch(batchContext, toBatch(batches, rowBuffers)),
  );
  let finished: () => void = () => {};
  let crashed: (error: Error) => void = () => {};
  // Settles on stop, and fails when the consumer crashes for good (kafkajs will not restart it), so
  // `tollgate ingest` exits with the reason instead of running on without a consumer.
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    crashed = reject;
  });
  const consumer = await consumeEvents({
    kafka: options.kafka,
    groupId: options.groupId,
    topic: options.topic,
    deadLetterTopic: options.deadLetterTopic,
    partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
    maxEventsInFlight: EVENTS_IN_FLIGHT,
    maxBytesPerPartition: BYTES_PER_PARTITION,
    handle: (batch) => groups.add(batch),
    onBatchError: (error) => context.log(`tollgate ingest: batch not stored, will retry: ${String(error)}`),
    onCrash: (error) => crashed(error),
  });
  return {
    done,
    async stop() {
      stopping = true;
      await consumer.stop();
      finished();
    },
    async lag() {
      const partitions = await consumer.lag();
      const total = partitions.reduce((sum, partition) => sum + partition.lag, 0);
      context.metrics.lag = total;
      return total;
    },
  };
}

function toBatch(batches: readonly EventBatch[], rowBuffers: RowBuffers): Batch {
  const events = batches.flatMap((batch) =>
    // Each event's message bytes, stored as they are: what the gateway sent, byte for byte.
    batch.events.map((event, index) => ({ event, json: batch.payloads[index] as Uint8Array })),
  );
  return {
    rows: eventRows(events, rowBuffers),
    createdAt: events.map(({ event }) => event.time),
    deadLetters: [], // the consumer dead-letters poison to the Kafka dead-letter topic itself
    token: tokenOf(batches),
  };
}

/** The offset ranges the group holds, named; the same ranges in any order give the same token. */
function tokenOf(batches: readonly EventBatch[]): string {
  const ranges = batches
    .map((batch) => `${batch.topic}/${batch.partition}/${batch.firstOffset}-${batch.lastOffset}`)
    .sort();
  if (ranges.length === 1) return `kafka-${ranges[0]}`;
  return `kafka-group-${createHash("sha256").update(ranges.join(",")).digest("hex").slice(0, 32)}`;
}
