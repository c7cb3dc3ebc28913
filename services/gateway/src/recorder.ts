/**
 * Records events without making a tool call wait on the sink: events are sealed into the instance's
 * hash chain, queued in a bounded buffer and drained to the sink in order in the background.
 * When the buffer is full the configured choice applies — `fail_closed`: new calls are denied until
 * there is room (events of calls already under way are still kept, so the buffer may exceed its limit
 * by those); `fail_open`: calls go on, and every event that could not be kept is counted and
 * reported loudly. Never a silent drop.
 */
import {
  EVENT_SCHEMA,
  EventChain,
  type EventSink,
  newEventId,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";

export type OverflowChoice = "fail_closed" | "fail_open";

export interface RecorderOptions {
  instance: string;
  version: string;
  bufferLimit: number;
  onFull: OverflowChoice;
  log: (message: string) => void;
  clock?: () => number;
}

/** Events handed to the sink at once. */
const PUBLISH_WINDOW = 512;

type EventBody = Omit<UnsealedEvent, "schema" | "id" | "time" | "gateway" | "chain">;

export class EventRecorder {
  private readonly chain = new EventChain();
  private readonly queue: TollgateEvent[] = [];
  private draining: Promise<void> | undefined;
  private sinkFailures = 0;
  /** Events that could not be kept (fail_open with a full buffer). */
  dropped = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly options: RecorderOptions,
  ) {}

  /** Whether a new call may proceed: false only when failing closed on a full buffer. */
  get acceptsCalls(): boolean {
    return this.options.onFull === "fail_open" || this.queue.length < this.options.bufferLimit;
  }

  get buffered(): number {
    return this.queue.length;
  }

  record(body: EventBody): TollgateEvent {
    const event = this.chain.seal({
      schema: EVENT_SCHEMA,
      id: newEventId(),
      time: (this.options.clock ?? Date.now)(),
      gateway: { instance: this.options.instance, version: this.options.version },
      ...body,
    } as UnsealedEvent);
    if (this.queue.length >= this.options.bufferLimit && this.options.onFull === "fail_open") {
      this.dropped += 1;
      this.options.log(
        `tollgate: event buffer full (${this.options.bufferLimit}); ${event.type} ${event.id} NOT recorded (${this.dropped} lost so far, failing open)`,
      );
      return event;
    }
    this.queue.push(event);
    this.drain();
    return event;
  }

  /** Waits until everything buffered has reached the sink. */
  async flush(): Promise<void> {
    while (this.draining !== undefined) await this.draining;
  }

  async close(): Promise<void> {
    await this.flush();
    await this.sink.close();
  }

  private drain(): void {
    if (this.draining !== undefined) return;
    this.draining = this.drainLoop().finally(() => {
      this.draining = undefined;
      if (this.queue.length > 0) this.drain();
    });
  }

  /**
   * Publishes up to a window of events at once: the spool commits them in one fsync and Kafka in one
   * batch, where one-at-a-time would pay an fsync or a round trip per event. The sinks keep the order
   * of publish calls. Events the sink refused stay at the front of the queue, in order, and are retried
   * with backoff; the buffer absorbs the outage until it is full. A retried event then lands after
   * later ones of its window that were taken: the chain's seq still gives the true order.
   */
  private async drainLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const window = this.queue.slice(0, PUBLISH_WINDOW);
      const results = await Promise.allSettled(window.map((event) => this.sink.publish(event)));
      const refused = window.filter((_, i) => results[i]?.status === "rejected");
      this.queue.splice(0, window.length, ...refused);
      if (refused.length === 0) {
        this.sinkFailures = 0;
        continue;
      }
      this.sinkFailures += 1;
      if (this.sinkFailures === 1 || this.sinkFailures % 50 === 0) {
        const reason = (results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason;
        this.options.log(
          `tollgate: event sink failed (${String(reason)}); ${this.queue.length} events buffered, retrying`,
        );
      }
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(1_000, 10 * 2 ** Math.min(this.sinkFailures, 7))),
      );
    }
  }
}
