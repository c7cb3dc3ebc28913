/**
 * Reading events from Kafka for a projection (ClickHouse, say), at least once: a batch's offsets
 * are committed only after the caller's handler resolved, so a crash before that re-delivers the
 * batch, and a handler that throws gets the same batch again after a backoff, never a later one.
 * Poison messages go to the dead-letter topic and the batch goes on without them.
 */
import { parseEvent, type TollgateEvent } from "@tollgate/events";
import {
  type Admin,
  type Batch,
  type EachBatchPayload,
  type Kafka,
  type KafkaMessage,
  Partitioners,
  type Producer,
} from "kafkajs";
import { type PoisonMessage, toDeadLetter, toPoison } from "./dead-letter.js";
import { InFlight } from "./in-flight.js";
import { fetchLag, type PartitionLag } from "./lag.js";

/**
 * What a partition batch's events become as they are parsed, one message at a time. The parsed
 * event need not outlive `add`: ingest encodes its row there and keeps the bytes, so that a fetch's
 * worth of parsed events is never alive at once (docs/PERFORMANCE.md, pipeline step 17).
 */
export interface EventCollector<Collected> {
  /**
   * `payload` is the message value: the JSON as the gateway wrote it, which ingest stores byte for
   * byte (parsing drops fields this version does not know, so serialising the parsed event again
   * could differ from what was sent).
   */
  add(event: TollgateEvent, payload: Uint8Array): void;
  /** What the batch's handler gets, once the batch's last event was added. */
  collected(): Collected;
}

/** A fresh collector for each partition batch; `messages` is how many the batch holds. */
export type CollectorFactory<Collected> = (messages: number) => EventCollector<Collected>;

/** The default collection: the parsed events and their message values, in the order read. */
export interface EventList {
  events: TollgateEvent[];
  payloads: Uint8Array[];
}

export function collectEvents(): EventCollector<EventList> {
  const list: EventList = { events: [], payloads: [] };
  return {
    add(event, payload) {
      list.events.push(event);
      list.payloads.push(payload);
    },
    collected: () => list,
  };
}

/** Where a partition batch came from, and what in it was not an event. */
export interface BatchOrigin {
  /** Events in the batch: messages that parsed as events. */
  eventCount: number;
  /** Messages in the batch that are not events; they are dead-lettered after the handler resolves. */
  poison: PoisonMessage[];
  topic: string;
  partition: number;
  firstOffset: string;
  lastOffset: string;
}

/** A partition batch: its events as the consumer's collector made them, and its origin. */
export type CollectedBatch<Collected> = Collected & BatchOrigin;
export type EventBatch = CollectedBatch<EventList>;

/** Must be idempotent per event id: after a crash or a failed commit, a batch comes again. */
export type EventBatchHandler<Collected = EventList> = (batch: CollectedBatch<Collected>) => Promise<void>;

export interface ConsumeEventsOptions<Collected = EventList> {
  kafka: Kafka;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  handle: EventBatchHandler<Collected>;
  /** What each batch's events become as they are read. Default: the parsed events (`EventList`). */
  collect?: CollectorFactory<Collected>;
  /** Where a group without committed offsets starts. Default: the oldest retained event. */
  fromBeginning?: boolean;
  /** Waits between attempts of a failing handler: doubling from initialMs up to maxMs. */
  retryBackoff?: { initialMs?: number; maxMs?: number };
  /** Told about each failed attempt (handler or dead-lettering); the batch is retried either way. */
  onBatchError?: (error: unknown, batch: CollectedBatch<Collected>, attempt: number) => void;
  /** Told when the consumer stops for good on an error kafkajs does not restart from. */
  onCrash?: (error: Error) => void;
  /** How long the group waits for a silent member before giving its partitions away. Default: 30 s. */
  sessionTimeoutMs?: number;
  /** How long a rebalance waits for members to rejoin. Default: 60 s. */
  rebalanceTimeoutMs?: number;
  /** Default: 3 s. */
  heartbeatIntervalMs?: number;
  /** Caps a fetch, so a batch's handler sees at most about this much per partition. Default: 1 MiB. */
  maxBytesPerPartition?: number;
  /** Caps a whole fetch, all partitions together. Default: 10 MB (kafkajs's). */
  maxBytes?: number;
  /** How long the broker holds a fetch open waiting for new events. Default: 500 ms. */
  maxWaitTimeMs?: number;
  /** Default: 1. */
  partitionsConsumedConcurrently?: number;
  /**
   * Events handed to the handler and not yet stored, at most, before the consumer stops fetching.
   * Default 0: kafkajs fetches again only once every batch of the last fetch is stored and
   * committed, so reading never overlaps storing. Above 0, a batch's offsets are resolved as soon
   * as it is handed over, the next fetch is read while it is stored, and it is committed later, in
   * order per partition, once it and the partition's earlier batches are stored (in-flight.ts).
   */
  maxEventsInFlight?: number;
}

export interface ConsumerCounters {
  /** Batches handled and committed. */
  batches: number;
  /** Events handed to the handler in committed batches. */
  events: number;
  /** Poison messages dead-lettered in committed batches. */
  poison: number;
  /** Attempts at a batch that threw, in the handler or dead-lettering (each was retried). */
  failedAttempts: number;
  startedAt: number;
  /** events / seconds since start: the average, for a dashboard; rates come from the counters. */
  eventsPerSecond: number;
}

export interface EventConsumer {
  counters(): ConsumerCounters;
  /** Per partition of the topic, what the group has yet to commit. */
  lag(): Promise<PartitionLag[]>;
  /** Leaves the group after the batch in hand; what was not committed goes to the next member. */
  stop(): Promise<void>;
}

export function consumeEvents(options: ConsumeEventsOptions<EventList>): Promise<EventConsumer>;
export function consumeEvents<Collected extends object>(
  options: ConsumeEventsOptions<Collected> & { collect: CollectorFactory<Collected> },
): Promise<EventConsumer>;
export async function consumeEvents<Collected extends object>(
  options: ConsumeEventsOptions<Collected>,
): Promise<EventConsumer> {
  // The overloads allow leaving `collect` out only where the batches are EventLists.
  const collect = options.collect ?? (collectEvents as unknown as CollectorFactory<Collected>);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3_000;
  const consumer = options.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
    heartbeatInterval: heartbeatIntervalMs,
    maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
    maxBytes: options.maxBytes ?? 10_485_760,
    maxWaitTimeInMs: options.maxWaitTimeMs ?? 500,
    allowAutoTopicCreation: false,
  });
  // Not idempotent: a retried batch may dead-letter a message twice, which is harmless, and a
  // plain producer cannot mistake a new batch for a duplicate after a failed send.
  const deadLetters = options.kafka.producer({
    maxInFlightRequests: 1,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const stats = { batches: 0, events: 0, poison: 0, failedAttempts: 0, startedAt: Date.now() };
  let admin: Promise<Admin> | undefined;
  const maxEventsInFlight = options.maxEventsInFlight ?? 0;
  const flow: Flow = {
    inFlight: maxEventsInFlight > 0 ? new InFlight(maxEventsInFlight) : undefined,
    stopping: false,
  };

  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) options.onCrash?.(payload.error);
  });
  // A new generation reads its partitions from their committed offsets: earlier queues are moot.
  consumer.on(consumer.events.GROUP_JOIN, () => flow.inFlight?.reset());

  const eachBatch = batchProcessor(options, collect, deadLetters, stats, heartbeatIntervalMs, flow);
  try {
    await deadLetters.connect();
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
      eachBatch,
    });
  } catch (error) {
    // A half-started consumer would keep its connections (and the process) alive.
    await Promise.allSettled([consumer.disconnect(), deadLetters.disconnect()]);
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    counters: () => {
      const seconds = (Date.now() - stats.startedAt) / 1000;
      return { ...stats, eventsPerSecond: seconds > 0 ? stats.events / seconds : 0 };
    },
    lag: async () => {
      admin ??= connectAdmin(options.kafka);
      return fetchLag(await admin, options.groupId, options.topic);
    },
    stop: () => {
      stopping ??= (async () => {
        // Batches in flight are stored or given up, and what was stored is committed, while the
        // consumer is still a member; no batch is handed over meanwhile.
        flow.stopping = true;
        await flow.inFlight?.settled();
        await consumer.disconnect();
        await deadLetters.disconnect();
        if (admin !== undefined) await (await admin).disconnect();
      })();
      return stopping;
    },
  };
}

async function connectAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return admin;
}

type Stats = Omit<ConsumerCounters, "eventsPerSecond">;

/** What storing one batch needs of the consumer. */
interface BatchWork {
  /** False once the batch is to be given up: the consumer stops, or the partition is not ours. */
  ours(): boolean;
  heartbeat(): Promise<void>;
}

/** How batches flow: one fetch at a time, or several in flight (`maxEventsInFlight`). */
interface Flow {
  inFlight: InFlight | undefined;
  stopping: boolean;
}

function batchProcessor<Collected extends object>(
  options: ConsumeEventsOptions<Collected>,
  collect: CollectorFactory<Collected>,
  deadLetters: Producer,
  stats: Stats,
  heartbeatIntervalMs: number,
  flow: Flow,
) {
  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    if (flow.stopping) {
      // Left unresolved for the group's next member; paused so kafkajs does not fetch it again.
      payload.pause();
      return;
    }
    const eventBatch = parseMessages(
      batch.topic,
      batch.partition,
      batch.messages,
      batch.lastOffset(),
      collect(batch.messages.length),
    );
    const { inFlight } = flow;
    const work: BatchWork = {
      // Given up once the consumer stops: a batch in flight then must not keep a stop waiting.
      ours: () => !flow.stopping && stillOurs(payload),
      // In eachBatch, a failed heartbeat (a rebalance) throws out of it, and kafkajs rejoins. A
      // batch stored in flight is not in eachBatch: kafkajs's own fetch loop meets the rebalance,
      // and the store goes on. Its commit, if the partition went to another member meanwhile, can
      // only move that member's position back (events read twice, never lost).
      heartbeat:
        inFlight === undefined ? payload.heartbeat : () => payload.heartbeat().catch(() => undefined),
    };
    const stored = storeUntilDone(options, deadLetters, work, eventBatch, stats, heartbeatIntervalMs);
    const commit = async () => {
      await payload.commitOffsetsIfNecessary({
        topics: [
          { topic: batch.topic, partitions: [{ partition: batch.partition, offset: nextOffset(batch) }] },
        ],
      });
      stats.batches += 1;
      stats.events += eventBatch.eventCount;
      stats.poison += eventBatch.poison.length;
    };
    if (inFlight === undefined) {
      // Stopping, or the partition moved to another member: it reads from the last commit.
      if (!(await stored)) return;
      await commit();
      payload.resolveOffset(batch.lastOffset());
      return;
    }
    inFlight.add({
      partition: `${batch.topic}/${batch.partition}`,
      events: batch.messages.length,
      stored,
      commit,
      commitFailed: (error) => options.onBatchError?.(error, eventBatch, 0),
    });
    payload.resolveOffset(batch.lastOffset());
    await withHeartbeats(() => inFlight.room(), payload.heartbeat, heartbeatIntervalMs);
  };
}

/**
 * Hands the batch to the handler, then dead-letters its poison, each part until it succeeds once.
 * False when given up: the consumer is stopping, or the partition moved to another member.
 */
function storeUntilDone<Collected>(
  options: ConsumeEventsOptions<Collected>,
  deadLetters: Producer,
  work: BatchWork,
  eventBatch: CollectedBatch<Collected>,
  stats: Stats,
  heartbeatIntervalMs: number,
): Promise<boolean> {
  let handled = false;
  let deadLettered = eventBatch.poison.length === 0;
  // Each part runs until it succeeds once, so a retry does not dead-letter the same poison twice.
  const attempt = async () => {
    if (!handled) {
      await withHeartbeats(() => options.handle(eventBatch), work.heartbeat, heartbeatIntervalMs);
      handled = true;
    }
    if (!deadLettered) {
      await deadLetters.send({
        topic: options.deadLetterTopic,
        // The batch is committed next: its poison must be on every in-sync replica first.
        acks: -1,
        messages: eventBatch.poison.map(toDeadLetter),
      });
      deadLettered = true;
    }
  };
  return retryUntilDone(attempt, work, options, eventBatch, () => {
    stats.failedAttempts += 1;
  });
}

/**
 * Messages of one partition as events, handed to the collector as each is parsed, and the ones
 * that are not events as poison with their origin.
 */
export function parseMessages<Collected>(
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
  lastOffset: string,
  collector: EventCollector<Collected>,
): CollectedBatch<Collected> {
  const poison: PoisonMessage[] = [];
  let eventCount = 0;
  for (const message of messages) {
    if (message.value === null) {
      poison.push(toPoison(topic, partition, message, "no value (a tombstone)"));
      continue;
    }
    const parsed = parseEvent(message.value);
    if (parsed.ok) {
      collector.add(parsed.event, message.value);
      eventCount += 1;
    } else {
      poison.push(toPoison(topic, partition, message, parsed.error));
    }
  }
  return {
    ...collector.collected(),
    eventCount,
    poison,
    topic,
    partition,
    firstOffset: messages[0]?.offset ?? lastOffset,
    lastOffset,
  };
}

/** Kafka's committed offset is the next one to read. */
function nextOffset(batch: Batch): string {
  return (BigInt(batch.lastOffset()) + 1n).toString();
}

async function retryUntilDone<Collected>(
  attempt: () => Promise<void>,
  work: BatchWork,
  options: ConsumeEventsOptions<Collected>,
  batch: CollectedBatch<Collected>,
  onFailure: () => void,
): Promise<boolean> {
  const initialMs = options.retryBackoff?.initialMs ?? 200;
  const maxMs = options.retryBackoff?.maxMs ?? 10_000;
  for (let failures = 0; ; failures += 1) {
    if (!work.ours()) return false;
    try {
      await attempt();
      return true;
    } catch (error) {
      onFailure();
      options.onBatchError?.(error, batch, failures + 1);
      await backoff(Math.min(maxMs, initialMs * 2 ** failures), work);
    }
  }
}

function stillOurs(payload: EachBatchPayload): boolean {
  return payload.isRunning() && !payload.isStale();
}

/**
 * Waits while heartbeating, so a long outage downstream does not cost the group membership.
 */
async function backoff(ms: number, work: BatchWork): Promise<void> {
  const until = Date.now() + ms;
  while (work.ours()) {
    const left = until - Date.now();
    if (left <= 0) return;
    await sleep(Math.min(left, 250));
    await work.heartbeat();
  }
}

/** kafkajs heartbeats only between batches; a slow handler would otherwise look like a dead member. */
async function withHeartbeats<T>(
  work: () => Promise<T>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
): Promise<T> {
  // A failed heartbeat means a rebalance; the commit after the handler reports it.
  const timer = setInterval(() => void heartbeat().catch(() => undefined), intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
