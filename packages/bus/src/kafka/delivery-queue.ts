/**
 * Batches items for a sender that takes one batch at a time, and tells each item's publisher how
 * its batch went. One batch in flight keeps the order items were added in (an idempotent Kafka
 * producer also needs that), and under load the next batch fills up while the current one is out.
 */

export interface DeliveryQueueOptions {
  /** How long the oldest waiting item may wait for company before its batch goes out. */
  lingerMs: number;
  /** A batch goes out as soon as it has this many items. */
  maxBatch: number;
  /** From add() to acknowledgement; after that the item's promise rejects, sent or not. */
  deadlineMs: number;
  /** add() rejects at once while this many items are waiting or in flight. */
  maxPending: number;
}

/** Turns what went wrong into the errors publishers see, so they read in the caller's words. */
export interface DeliveryErrors {
  failed(cause: unknown, batchSize: number): Error;
  /** `sent`: the batch was out when the deadline passed, so it may still arrive. */
  deadlinePassed(sent: boolean): Error;
  full(pending: number): Error;
}

export interface DeliveryCounters {
  delivered: number;
  failed: number;
  expired: number;
  refused: number;
  batches: number;
}

interface Pending<T> {
  item: T;
  addedAt: number;
  settled: boolean;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class DeliveryQueue<T> {
  readonly counters: DeliveryCounters = { delivered: 0, failed: 0, expired: 0, refused: 0, batches: 0 };
  private waiting: Pending<T>[] = [];
  private inFlight: Pending<T>[] = [];
  private sending = false;
  /** Between a batch's end and the next turn of the event loop; see sendWhatWaited. */
  private settling = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: (items: T[]) => Promise<void>,
    private readonly options: DeliveryQueueOptions,
    private readonly errors: DeliveryErrors,
  ) {}

  get pending(): number {
    return this.waiting.length + this.inFlight.length;
  }

  add(item: T): Promise<void> {
    if (this.pending >= this.options.maxPending) {
      this.counters.refused += 1;
      return Promise.reject(this.errors.full(this.pending));
    }
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ item, addedAt: Date.now(), settled: false, resolve, reject });
      this.deadlineTimer ??= this.armDeadline();
      this.schedule();
    });
  }

  /** Sends what waits without lingering; resolves once every item so far is settled. */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.sending || this.settling || this.waiting.length === 0) return;
    const oldest = this.waiting[0]!;
    const hurry = this.idleWaiters.length > 0 || this.waiting.length >= this.options.maxBatch;
    const delay = hurry ? 0 : oldest.addedAt + this.options.lingerMs - Date.now();
    if (delay > 0) {
      this.lingerTimer ??= setTimeout(() => {
        this.lingerTimer = undefined;
        this.schedule();
      }, delay);
      return;
    }
    void this.sendNext();
  }

  private async sendNext(): Promise<void> {
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.sending = true;
    const batch = this.waiting.splice(0, this.options.maxBatch);
    this.inFlight = batch;
    this.counters.batches += 1;
    try {
      await this.send(batch.map((pending) => pending.item));
      for (const pending of batch) this.settle(pending, undefined, "delivered");
    } catch (cause) {
      const error = this.errors.failed(cause, batch.length);
      for (const pending of batch) this.settle(pending, error, "failed");
    } finally {
      this.inFlight = [];
      this.sending = false;
      this.rearmDeadline();
      this.notifyIfIdle();
      this.sendWhatWaited();
    }
  }

  /**
   * Publishers that awaited the batch publish their next items as soon as it settles. Those
   * items, and any that queued during the send, have waited for the pipe already: they go out
   * together on the next turn of the event loop, without lingering again.
   */
  private sendWhatWaited(): void {
    this.settling = true;
    setImmediate(() => {
      this.settling = false;
      if (this.waiting.length > 0 && !this.sending) void this.sendNext();
    });
  }

  private settle(pending: Pending<T>, error: Error | undefined, outcome: keyof DeliveryCounters): void {
    if (pending.settled) return;
    pending.settled = true;
    this.counters[outcome] += 1;
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }

  /** Items go out in the order they were added: the earliest deadline is the first one unsettled. */
  private armDeadline(): NodeJS.Timeout | undefined {
    const first = this.inFlight.find((pending) => !pending.settled) ?? this.waiting[0];
    if (first === undefined) return undefined;
    const delay = Math.max(0, first.addedAt + this.options.deadlineMs - Date.now());
    const timer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.expire();
      this.rearmDeadline();
    }, delay);
    // Pending publishes alone should not keep a process alive that has nothing else to do.
    timer.unref();
    return timer;
  }

  private rearmDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = this.armDeadline();
  }

  private expire(): void {
    const cutoff = Date.now() - this.options.deadlineMs;
    const expiredInFlight = this.inFlight.filter((pending) => !pending.settled && pending.addedAt <= cutoff);
    if (expiredInFlight.length > 0) {
      const error = this.errors.deadlinePassed(true);
      for (const pending of expiredInFlight) this.settle(pending, error, "expired");
    }
    // Dropped unsent: their publishers were told, and will spool or retry them themselves.
    const expiredWaiting = this.waiting.findIndex((pending) => pending.addedAt > cutoff);
    const unsent = this.waiting.splice(0, expiredWaiting === -1 ? this.waiting.length : expiredWaiting);
    if (unsent.length > 0) {
      const error = this.errors.deadlinePassed(false);
      for (const pending of unsent) this.settle(pending, error, "expired");
    }
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.sending || this.waiting.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
