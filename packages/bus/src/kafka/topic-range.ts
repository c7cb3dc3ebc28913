/**
 * Reading a bounded stretch of the events topic, once, without joining the ingest's group: what
 * replay needs to read "everything since T" straight from Kafka. The stretch is fixed when reading
 * starts (from the first offset at or after T to the end offsets of that moment), so the read ends
 * even while gateways keep publishing. Nothing is committed: a throwaway consumer group does the
 * partition assignment (kafkajs has no manual assignment) and is deleted afterwards.
 */
import { randomUUID } from "node:crypto";
import type { Admin, Consumer, Kafka, KafkaMessage } from "kafkajs";
import { collectEvents, type EventBatch, parseMessages } from "./consumer.js";

/** Offsets `[from, to)` of one partition. */
export interface PartitionRange {
  partition: number;
  from: string;
  to: string;
}

export interface TopicStretch {
  topic: string;
  /** Every partition of the topic, including the ones with nothing to read. */
  partitions: PartitionRange[];
}

export class TopicNotFoundError extends Error {}

/** The partitions of the stretch with anything to read. */
export function partitionsToRead(stretch: TopicStretch): PartitionRange[] {
  return stretch.partitions.filter((range) => BigInt(range.from) < BigInt(range.to));
}

/** A batch of the stretch; `finished` on the last one of its partition (which may hold no message). */
export interface StretchBatch extends EventBatch {
  finished: boolean;
}

/**
 * Where to read from: per partition, the first message whose timestamp is at or after `since`
 * (epoch ms; the producer's send time, never earlier than the event it carries), up to the end.
 */
export async function topicStretch(admin: Admin, topic: string, since: number): Promise<TopicStretch> {
  const topics = await admin.listTopics();
  if (!topics.includes(topic)) {
    throw new TopicNotFoundError(`topic ${topic} does not exist (topics: ${topics.join(", ") || "none"})`);
  }
  const [starts, ends] = await Promise.all([
    admin.fetchTopicOffsetsByTimestamp(topic, since),
    admin.fetchTopicOffsets(topic),
  ]);
  const endOf = new Map(ends.map((end) => [end.partition, end.high]));
  const partitions = starts
    .map((start) => ({
      partition: start.partition,
      from: start.offset,
      to: endOf.get(start.partition) ?? "0",
    }))
    .sort((a, b) => a.partition - b.partition);
  return { topic, partitions };
}

export interface ReadStretchOptions {
  kafka: Kafka;
  stretch: TopicStretch;
  /** Caps a fetch per partition. Default: 1 MiB. */
  maxBytesPerPartition?: number;
  /** Batches parsed but not yet taken by the reader before fetching waits. Default: 8. */
  maxQueuedBatches?: number;
}

/**
 * The stretch's messages as parsed batches (poison kept apart, with its origin), each partition in
 * offset order; partitions interleave as Kafka serves them. Ends when every partition reached its
 * end offset; breaking out of the loop stops the consumer too.
 */
export async function* readStretch(options: ReadStretchOptions): AsyncGenerator<StretchBatch> {
  const { stretch } = options;
  const ranges = new Map(partitionsToRead(stretch).map((range) => [range.partition, range]));
  if (ranges.size === 0) return;
  const groupId = `tollgate-replay-${randomUUID()}`;
  const consumer = options.kafka.consumer({
    groupId,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
  });
  const queue = new BatchQueue(options.maxQueuedBatches ?? 8);
  const unread = new Set(ranges.keys());
  consumer.on(consumer.events.CRASH, ({ payload }) => queue.fail(payload.error));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [stretch.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const range = ranges.get(batch.partition);
        if (range === undefined || !unread.has(batch.partition)) return;
        const within = withinRange(batch.messages, range);
        const finished = BigInt(batch.lastOffset()) >= BigInt(range.to) - 1n;
        if (within.length > 0 || finished) {
          const lastOffset = within[within.length - 1]?.offset ?? batch.lastOffset();
          const parsed = parseMessages(batch.topic, batch.partition, within, lastOffset, collectEvents());
          await queue.push({ ...parsed, finished });
        }
        if (finished) {
          unread.delete(batch.partition);
          consumer.pause([{ topic: stretch.topic, partitions: [batch.partition] }]);
          if (unread.size === 0) queue.end();
        }
      },
    });
    for (const range of ranges.values()) {
      consumer.seek({ topic: stretch.topic, partition: range.partition, offset: range.from });
    }
    yield* queue.drain();
  } finally {
    queue.end();
    await stopConsumer(consumer, options.kafka, groupId);
  }
}

/** Without the messages before the range (a seek not yet applied) or past its end. */
function withinRange(messages: KafkaMessage[], range: PartitionRange): KafkaMessage[] {
  const from = BigInt(range.from);
  const to = BigInt(range.to);
  return messages.filter((message) => {
    const offset = BigInt(message.offset);
    return offset >= from && offset < to;
  });
}

async function stopConsumer(consumer: Consumer, kafka: Kafka, groupId: string): Promise<void> {
  await consumer.disconnect().catch(() => undefined);
  // The group never committed anything; deleting it keeps `kafka-consumer-groups --list` clean.
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // An empty group expires by itself; failing to delete it is not worth failing the read.
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Hands batches from kafkajs's push to the reader's pull, holding fetching while it is full. */
class BatchQueue {
  private readonly batches: StretchBatch[] = [];
  private ended = false;
  private error: Error | undefined;
  private wakeReader: (() => void) | undefined;
  private wakeWriter: (() => void) | undefined;

  constructor(private readonly capacity: number) {}

  async push(batch: StretchBatch): Promise<void> {
    this.batches.push(batch);
    this.wake();
    while (this.batches.length >= this.capacity && !this.ended) {
      await new Promise<void>((resolve) => {
        this.wakeWriter = resolve;
      });
    }
  }

  end(): void {
    this.ended = true;
    this.wake();
  }

  fail(error: Error): void {
    this.error = error;
    this.end();
  }

  async *drain(): AsyncGenerator<StretchBatch> {
    for (;;) {
      const batch = this.batches.shift();
      if (batch !== undefined) {
        this.wakeWriter?.();
        yield batch;
        continue;
      }
      if (this.error !== undefined) throw this.error;
      if (this.ended) return;
      await new Promise<void>((resolve) => {
        this.wakeReader = resolve;
      });
    }
  }

  private wake(): void {
    this.wakeReader?.();
    this.wakeReader = undefined;
    this.wakeWriter?.();
    this.wakeWriter = undefined;
  }
}
