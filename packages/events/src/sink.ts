/**
 * Where the gateway's events go. One interface, several sinks (memory for unit tests, the spool,
 * Kafka), like the MCP SDK's Transport: the gateway does not know which one it writes to.
 */
import type { TollgateEvent } from "./schema.js";

export interface EventSink {
  /**
   * Accepts an event. Resolves when the sink has taken responsibility for it (durably, for the
   * spool and Kafka); rejects when it cannot, so the caller's overflow policy can decide.
   */
  publish(event: TollgateEvent): Promise<void>;
  /** Flushes what is buffered and releases resources. */
  close(): Promise<void>;
}

/** Keeps events in memory: for unit tests and `tollgate` runs that want to inspect what was written. */
export class MemorySink implements EventSink {
  readonly events: TollgateEvent[] = [];
  private readonly listeners = new Set<(event: TollgateEvent) => void>();

  async publish(event: TollgateEvent): Promise<void> {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
  }

  async close(): Promise<void> {}

  /** Resolves with the first event (already written or future) that matches. */
  waitFor(match: (event: TollgateEvent) => boolean): Promise<TollgateEvent> {
    const found = this.events.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => {
      const listener = (event: TollgateEvent) => {
        if (!match(event)) return;
        this.listeners.delete(listener);
        resolve(event);
      };
      this.listeners.add(listener);
    });
  }
}
