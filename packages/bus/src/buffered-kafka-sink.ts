/**
 * Kafka with the spool as its buffer. Events go to Kafka while it takes them; when it does not (the
 * broker is down or unreachable), they go to a local spool — durably, so the gateway's call goes on —
 * and a shipper sends the spooled events to Kafka in order once it answers again. Only when the spool
 * is drained do events go straight to Kafka again. Across a failover a session's events may reach Kafka
 * out of order (a batch in flight can succeed after an earlier one was spooled); each event's chain
 * seq keeps the true order, and a batch re-sent after a partial failure is deduplicated by event id.
 */
import type { EventSink, TollgateEvent } from "@tollgate/events";
import type { KafkaSink } from "./kafka/index.js";
import { SpoolReader, SpoolSink } from "./spool/index.js";

export interface BufferedKafkaSinkOptions {
  kafka: KafkaSink;
  /** A spool directory of its own: this sink is its only writer and reader. */
  spool: string;
  log?: (message: string) => void;
  /** Wait between attempts to ship to a Kafka that is still away. Default 500 ms. */
  retryMs?: number;
}

export class BufferedKafkaSink implements EventSink {
  private buffering = false;
  private spoolWrites = 0;
  private spoolWritesInFlight = 0;
  private shipping: Promise<void> | undefined;
  private closed = false;
  /** Events shipped from the spool to Kafka since this sink opened. */
  shipped = 0;

  private constructor(
    private readonly kafka: KafkaSink,
    private readonly spool: SpoolSink,
    private readonly reader: SpoolReader,
    private readonly log: (message: string) => void,
    private readonly retryMs: number,
  ) {}

  static async open(options: BufferedKafkaSinkOptions): Promise<BufferedKafkaSink> {
    const spool = await SpoolSink.open(options.spool, { name: "kafka-buffer" });
    const reader = await SpoolReader.open(options.spool);
    const sink = new BufferedKafkaSink(
      options.kafka,
      spool,
      reader,
      options.log ?? (() => {}),
      options.retryMs ?? 500,
    );
    sink.startBuffering(); // events an earlier run left in the buffer are shipped first

    return sink;
  }

  /** Whether events are currently going to the spool instead of Kafka. */
  get isBuffering(): boolean {
    return this.buffering;
  }

  async publish(event: TollgateEvent): Promise<void> {
    if (!this.buffering) {
      try {
        await this.kafka.publish(event);
        return;
      } catch (error) {
        this.startBuffering(
          `Kafka did not take events (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    }
    this.spoolWritesInFlight += 1;
    try {
      await this.spool.publish(event);
    } finally {
      this.spoolWritesInFlight -= 1;
      this.spoolWrites += 1;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.shipping;
    await this.reader.close();
    await this.spool.close();
    await this.kafka.close();
  }

  /** Sends new events to the spool and starts shipping it; `why` is logged when Kafka failed. */
  private startBuffering(why?: string): void {
    if (!this.buffering && why !== undefined) this.log(`tollgate: ${why}; buffering events in the spool`);
    this.buffering = true;
    this.shipping ??= this.ship().finally(() => {
      this.shipping = undefined;
    });
  }

  /** Sends spooled events to Kafka in order, committing each batch once Kafka acknowledged it. */
  private async ship(): Promise<void> {
    const shippedBefore = this.shipped;
    while (!this.closed) {
      const writesBefore = this.spoolWrites;
      const batch = await this.reader.read(500);
      if (batch.records.length === 0) {
        // Drained, and no write landed while we looked: back to Kafka directly. Nothing can slip in
        // between this check and the switch: both happen in one turn of the event loop.
        if (this.spoolWrites === writesBefore && this.spoolWritesInFlight === 0) {
          const shipped = this.shipped - shippedBefore;
          if (shipped > 0) this.log(`tollgate: Kafka is back; ${shipped} buffered events shipped`);
          this.buffering = false;
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 5)); // a spool write is landing: look again
        continue;
      }
      await this.shipBatch(batch.records.map((record) => record.event));
      if (this.closed) return;
      await this.reader.commit(batch.position);
      this.shipped += batch.records.length;
    }
  }

  private async shipBatch(events: TollgateEvent[]): Promise<void> {
    while (!this.closed) {
      try {
        await Promise.all(events.map((event) => this.kafka.publish(event)));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, this.retryMs));
      }
    }
  }
}
