/**
 * Ingest from Kafka: a consumer group whose handler stores each batch; the consumer commits the
 * batch's offsets only after the handler resolves, retries a batch whose store failed, and sends
 * messages that are not events to the dead-letter topic with their origin.
 */
import { consumeEvents, type EventBatch, type Kafka } from "@tollgate/bus";
import { eventRows } from "@tollgate/store";
import type { RunningIngest } from "./spool-ingest.js";
import { type Batch, type BatchContext, storeBatch } from "./store-batch.js";

export interface KafkaIngestOptions {
  kafka: Kafka;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
}

export async function ingestFromKafka(
  context: Omit<BatchContext, "stopping">,
  options: KafkaIngestOptions,
): Promise<RunningIngest & { lag(): Promise<number> }> {
  let stopping = false;
  const batchContext: BatchContext = { ...context, stopping: () => stopping };
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
    handle: (batch) => storeBatch(batchContext, toBatch(batch)),
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

function toBatch(batch: EventBatch): Batch {
  return {
    // Each event's message bytes, stored as they are: what the gateway sent, byte for byte.
    rows: eventRows(
      batch.events.map((event, index) => ({ event, json: batch.payloads[index] as Uint8Array })),
    ),
    createdAt: batch.events.map((event) => event.time),
    deadLetters: [], // the consumer dead-letters poison to the Kafka dead-letter topic itself
    token: `kafka-${batch.topic}-${batch.partition}-${batch.firstOffset}-${batch.lastOffset}`,
  };
}
