/**
 * The gateway's events into Kafka. `publish` resolves once the broker has the event on all
 * in-sync replicas, and rejects within `deliveryTimeoutMs` when it cannot, so the recorder can
 * spool the event instead. A batch that timed out may still arrive later: consumers dedupe by
 * event id, which is what makes at-least-once safe here.
 */
import type { EventSink, TollgateEvent } from "@tollgate/events";
import { CompressionTypes, type Kafka, type Message, Partitioners, type Producer } from "kafkajs";
import { type DeliveryCounters, DeliveryQueue } from "./delivery-queue.js";
import { toKafkaMessage } from "./messages.js";

export interface KafkaSinkOptions {
  kafka: Kafka;
  /** The events topic; it must exist (see ensureTopics): the sink never creates topics. */
  topic: string;
  /** How long the first event of a batch waits for more. Default: 5 ms. */
  lingerMs?: number;
  /** Events per send. Default: 500. */
  maxBatchEvents?: number;
  /** From publish() to acknowledgement, at most. Default: 15 s. */
  deliveryTimeoutMs?: number;
  /** publish() rejects at once while this many events are waiting or in flight. Default: 20,000. */
  maxPendingEvents?: number;
  /** How often one send is retried after a retriable error. Default: 3. */
  sendRetries?: number;
  /** How long the broker may wait for the replicas' acknowledgement. Default: 10 s. */
  ackTimeoutMs?: number;
  /** Default: none; events are small and the CPU is the gateway's. */
  compression?: CompressionTypes;
}

/** Why events did not reach Kafka; `events` is how many publishes this error rejected. */
export class KafkaDeliveryError extends Error {
  override name = "KafkaDeliveryError";
  constructor(
    message: string,
    readonly events: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class KafkaSink implements EventSink {
  private producer: Producer;
  private readonly queue: DeliveryQueue<Message>;
  private connection: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: KafkaSinkOptions) {
    this.producer = this.newProducer();
    const deliveryTimeoutMs = options.deliveryTimeoutMs ?? 15_000;
    this.queue = new DeliveryQueue<Message>(
      (messages) => this.send(messages),
      {
        lingerMs: options.lingerMs ?? 5,
        maxBatch: options.maxBatchEvents ?? 500,
        deadlineMs: deliveryTimeoutMs,
        maxPending: options.maxPendingEvents ?? 20_000,
      },
      {
        failed: (cause, count) =>
          new KafkaDeliveryError(
            `Kafka did not accept ${count} event(s) for topic "${options.topic}": ${messageOf(cause)}`,
            count,
            { cause },
          ),
        deadlinePassed: (sent) =>
          new KafkaDeliveryError(
            sent
              ? `Kafka did not acknowledge the event within ${deliveryTimeoutMs} ms (topic "${options.topic}"); it may still arrive`
              : `the event waited ${deliveryTimeoutMs} ms behind earlier batches to topic "${options.topic}" and was not sent`,
            1,
          ),
        full: (pending) =>
          new KafkaDeliveryError(
            `${pending} events are already waiting for Kafka (topic "${options.topic}"); not taking more`,
            1,
          ),
      },
    );
  }

  /** Delivery outcomes per event, and batches sent, since the sink was made. */
  get counters(): Readonly<DeliveryCounters> {
    return this.queue.counters;
  }

  async publish(event: TollgateEvent): Promise<void> {
    if (this.closing !== undefined) throw new KafkaDeliveryError("the Kafka sink is closed", 1);
    return this.queue.add(toKafkaMessage(event));
  }

  /** Sends what waits now; resolves once everything published so far is settled. */
  flush(): Promise<void> {
    return this.queue.flush();
  }

  close(): Promise<void> {
    this.closing ??= this.queue.flush().then(() => this.producer.disconnect());
    return this.closing;
  }

  private newProducer(): Producer {
    return this.options.kafka.producer({
      idempotent: true,
      // kafkajs keeps an idempotent producer's sends in order only with one request in flight.
      maxInFlightRequests: 1,
      // Bounded so that a dead broker ends in a rejection, not in retries forever.
      retry: { retries: this.options.sendRetries ?? 3, initialRetryTime: 200, maxRetryTime: 2_000 },
      // Java's murmur2 partitioning: a session maps to the same partition as from any other client.
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
    });
  }

  private async send(messages: Message[]): Promise<void> {
    try {
      await this.connect();
      await this.producer.send({
        topic: this.options.topic,
        acks: -1,
        timeout: this.options.ackTimeoutMs ?? 10_000,
        compression: this.options.compression ?? CompressionTypes.None,
        messages,
      });
    } catch (error) {
      await this.replaceProducer();
      throw error;
    }
  }

  /**
   * After a failed send the broker may or may not have the batch. Reusing the producer id would
   * give the next batch the same sequence numbers, and the broker could take it for a duplicate of
   * the one it has and drop it silently; a new producer gets a new id and starts afresh.
   */
  private async replaceProducer(): Promise<void> {
    const failed = this.producer;
    this.producer = this.newProducer();
    this.connection = undefined;
    await failed.disconnect().catch(() => undefined);
  }

  /** Connects on first use and again after a failed connect, so a broker that comes back is used. */
  private connect(): Promise<void> {
    this.connection ??= this.producer.connect().catch((error: unknown) => {
      this.connection = undefined;
      throw error;
    });
    return this.connection;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
