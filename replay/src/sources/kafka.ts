/**
 * Recorded calls straight from the events topic, for traffic that has no store: the stretch of the
 * topic from the warm-up's start to the end offsets when reading starts, read once with no commits.
 * Each instance's chain is spread over partitions (the key is the session), so events go through
 * `ChainOrder` to come out in each instance's order. The report's source names the offsets read and
 * everything left out (messages that are not events, duplicates, late or missing events).
 */
import {
  type EventBatch,
  type Kafka,
  partitionsToRead,
  readStretch,
  type TopicStretch,
  topicStretch,
} from "@tollgate/bus";
import type { TollgateEvent } from "@tollgate/events";
import type { RecordedCall, ReplayWindow } from "../recorded.js";
import type { ReplaySource } from "../report.js";
import { type CallSource, ReplaySourceError } from "../run.js";
import { ChainOrder, type ChainOrderCounts } from "./chain-order.js";
import { recordedCallOf } from "./events.js";

/**
 * A message's timestamp is its producer's send time, at or after the event's own time on the same
 * machine; reading starts this much earlier still, for a producer whose clock is behind.
 */
const CLOCK_SKEW_MS = 60_000;
/** How far partitions may be out of step before a missing event counts as missing. */
const LATENESS_MS = 60_000;

export interface KafkaSourceOptions {
  kafka: Kafka;
  /** The bootstrap brokers as the user gave them, for the report. */
  brokers: string;
  topic: string;
}

interface ReadSoFar {
  stretch: TopicStretch | undefined;
  messages: number;
  poison: number;
  firstPoison: string | undefined;
  order: ChainOrderCounts | undefined;
}

export function kafkaSource(options: KafkaSourceOptions): CallSource {
  const names = new Map<string, string>();
  const read: ReadSoFar = {
    stretch: undefined,
    messages: 0,
    poison: 0,
    firstPoison: undefined,
    order: undefined,
  };
  return {
    describe: () => describeRead(options, read),
    async *calls(range, readsArguments) {
      const stretch = await stretchSince(options, range.from - CLOCK_SKEW_MS);
      read.stretch = stretch;
      const order = new ChainOrder<RecordedCall>(LATENESS_MS);
      read.order = order.counts;
      const progress = new PartitionProgress(stretch);
      for await (const batch of readStretch({ kafka: options.kafka, stretch })) {
        countMessages(read, batch);
        for (const event of batch.events) {
          if (event.type === "policy.loaded") names.set(event.payload.digest, event.payload.name);
          order.add(
            event.gateway.instance,
            event.chain.seq,
            event.time,
            callIn(event, range, readsArguments),
          );
          progress.saw(batch.partition, event.time);
        }
        if (batch.finished) progress.finished(batch.partition);
        const ready: RecordedCall[] = [];
        order.release(progress.frontier(), ready);
        if (ready.length > 0) yield ready;
      }
      const rest: RecordedCall[] = [];
      order.flush(rest);
      if (rest.length > 0) yield rest;
    },
    policyNames: async () => names,
  };
}

async function stretchSince(options: KafkaSourceOptions, since: number): Promise<TopicStretch> {
  const admin = options.kafka.admin();
  try {
    await admin.connect();
    return await topicStretch(admin, options.topic, since);
  } catch (error) {
    throw new ReplaySourceError(
      `cannot read topic ${options.topic} at ${options.brokers}: ${(error as Error).message}`,
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

function callIn(
  event: TollgateEvent,
  range: ReplayWindow,
  readsArguments: (server: string, tool: string) => boolean,
): RecordedCall | undefined {
  if (event.type !== "call.decided") return undefined;
  const at = event.payload.decision.at;
  if (at < range.from || at >= range.to) return undefined;
  return recordedCallOf(event, readsArguments);
}

function countMessages(read: ReadSoFar, batch: EventBatch): void {
  read.messages += batch.events.length + batch.poison.length;
  read.poison += batch.poison.length;
  const [first] = batch.poison;
  if (first !== undefined && read.firstPoison === undefined) {
    read.firstPoison = `partition ${first.partition} offset ${first.offset}: ${first.error}`;
  }
}

function describeRead(options: KafkaSourceOptions, read: ReadSoFar): ReplaySource {
  const parts = [`${options.brokers} topic ${options.topic}`];
  if (read.stretch !== undefined) {
    const offsets = read.stretch.partitions.map((range) => `${range.partition}:[${range.from},${range.to})`);
    parts.push(`offsets ${offsets.join(" ")}`, `${read.messages} messages read`);
  }
  if (read.poison > 0) parts.push(`${read.poison} not events, left out (first: ${read.firstPoison})`);
  const order = read.order;
  if (order !== undefined && order.duplicates > 0) parts.push(`${order.duplicates} duplicate events dropped`);
  if (order !== undefined && order.late > 0)
    parts.push(`${order.late} events out of order by more than ${LATENESS_MS / 1000} s, left out`);
  if (order !== undefined && order.skipped > 0) parts.push(`${order.skipped} chain positions missing`);
  return { kind: "kafka", detail: parts.join("; ") };
}

/** How far each partition has been read, in offsets and in event time. */
class PartitionProgress {
  /** The latest event time seen per partition. */
  private readonly reached = new Map<number, number>();
  /** The partitions still being read. */
  private readonly reading: Set<number>;

  constructor(stretch: TopicStretch) {
    this.reading = new Set(partitionsToRead(stretch).map((range) => range.partition));
  }

  saw(partition: number, time: number): void {
    this.reached.set(partition, Math.max(this.reached.get(partition) ?? time, time));
  }

  finished(partition: number): void {
    this.reading.delete(partition);
  }

  /** The time every partition still being read has reached; before any has, minus infinity. */
  frontier(): number {
    let frontier = Number.POSITIVE_INFINITY;
    for (const partition of this.reading) {
      frontier = Math.min(frontier, this.reached.get(partition) ?? Number.NEGATIVE_INFINITY);
    }
    return frontier;
  }
}
