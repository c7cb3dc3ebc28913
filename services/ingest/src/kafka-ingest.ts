/**
 * Ingest from Kafka: a consumer group whose handler stores each batch; the consumer commits the
 * batch's offsets only after the handler resolves, retries a batch whose store failed, and sends
 * messages that are not events to the dead-letter topic with their origin. The partitions of one
 * fetch are handled at once and stored as one insert (batch-groups.ts), and the next fetch is read
 * while it is stored (the consumer's `maxEventsInFlight`: commits then follow, in order). Each event's
 * row is encoded as soon as it is parsed, so that parsed events die young (`EncodedEvents`).
 */
import { createHash } from "node:crypto";
import { type CollectedBatch, consumeEvents, type EventCollector, type Kafka } from "@tollgate/bus";
import { concatRows, type EventRows, RowBuffers } from "@tollgate/store";
import { BatchGroups } from "./batch-groups.js";
import type { RunningIngest } from "./spool-ingest.js";
import {
  type Batch,
  type BatchContext,
  EventEncoder,
  type IngestContext,
  storeBatch,
} from "./store-batch.js";

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
 * What one fetch may carry, all partitions together, and so what one insert holds: about 22,000
 * events (a record of about 1.1 kB). kafkajs's default, 10 MB, made inserts of about 9,000 events,
 * and ClickHouse spent as much CPU merging their parts as inserting them; at 24 MiB merges cost
 * about half as much per event (docs/PERFORMANCE.md, pipeline step 20).
 */
const FETCH_BYTES = 24 * 1024 * 1024;
/**
 * About two fetches: the next fetch is read, checked and encoded while the last one is stored.
 * With none in flight, kafkajs fetched only once the last fetch was stored and committed, and the
 * main thread idled a third of the time (docs/PERFORMANCE.md, pipeline step 11).
 */
const EVENTS_IN_FLIGHT = 50_000;
/**
 * What one fetch may take of a partition (kafkajs's default is 1 MiB). Partitions fill unevenly,
 * since events are keyed by session: once the light ones are read, a fetch of 1 MiB per partition
 * carried only a few thousand events, and ingest waited on the broker between them. A fetch is
 * still capped in all (FETCH_BYTES), so memory stays bounded.
 */
const BYTES_PER_PARTITION = 4 * 1024 * 1024;

export async function ingestFromKafka(
  context: IngestContext,
  options: KafkaIngestOptions,
): Promise<RunningIngest & { lag(): Promise<number> }> {
  let stopping = false;
  const rowBuffers = new RowBuffers();
  const batchContext: BatchContext = { ...context, rowBuffers, stopping: () => stopping };
  const groups = new BatchGroups<EncodedBatch>((batches) => storeGroup(batchContext, batches));
  let finished: () => void = () => {};
  let crashed: (error: Error) => void = () => {};
  // Settles on stop, and fails when the consumer crashes for good (kafkajs will not restart it), so
  // `tollgate ingest` exits with the reason instead of running on without a consumer.
  const done = new Promise<void>((resolve, reject) => {
    finished = resolve;
    crashed = reject;
  });
  const consumer = await consumeEvents<EncodedEvents>({
    kafka: options.kafka,
    groupId: options.groupId,
    topic: options.topic,
    deadLetterTopic: options.deadLetterTopic,
    partitionsConsumedConcurrently: PARTITIONS_AT_ONCE,
    maxEventsInFlight: EVENTS_IN_FLIGHT,
    maxBytesPerPartition: BYTES_PER_PARTITION,
    maxBytes: FETCH_BYTES,
    collect: (messages) => encodeEvents(messages, rowBuffers),
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

/** A partition batch's events as rows, encoded as they were read, and when each was made. */
interface EncodedEvents {
  rows: EventRows;
  createdAt: number[];
}

type EncodedBatch = CollectedBatch<EncodedEvents>;

function encodeEvents(messages: number, rowBuffers: RowBuffers): EventCollector<EncodedEvents> {
  const encoder = new EventEncoder(messages, rowBuffers);
  return {
    add: (event, payload) => encoder.add(event, payload),
    collected: () => ({ rows: encoder.rows(), createdAt: encoder.createdAt }),
  };
}

/**
 * A group's batches as one insert. storeBatch gives their rows' memory back to the pool only once
 * the insert is acknowledged: until then a failed group could be handed over again, rows and all.
 */
async function storeGroup(context: BatchContext, batches: readonly EncodedBatch[]): Promise<void> {
  const batch: Batch = {
    rows: concatRows(batches.map((member) => member.rows)),
    createdAt: batches.flatMap((member) => member.createdAt),
    deadLetters: [], // the consumer dead-letters poison to the Kafka dead-letter topic itself
    token: tokenOf(batches),
  };
  await storeBatch(context, batch);
}

/** The offset ranges the group holds, named; the same ranges in any order give the same token. */
function tokenOf(batches: readonly EncodedBatch[]): string {
  const ranges = batches
    .map((batch) => `${batch.topic}/${batch.partition}/${batch.firstOffset}-${batch.lastOffset}`)
    .sort();
  if (ranges.length === 1) return `kafka-${ranges[0]}`;
  return `kafka-group-${createHash("sha256").update(ranges.join(",")).digest("hex").slice(0, 32)}`;
}
