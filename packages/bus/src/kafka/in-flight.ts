/**
 * Batches handed to the handler and not yet committed, for a consumer that fetches on while they are
 * stored. Kafka commits a position, not a set of messages: a partition's batch may be committed only
 * once it and every batch before it of that partition are stored. So commits queue per partition.
 * A batch given up without being stored (the consumer is stopping) stops its partition's commits
 * for good; whatever was not committed is read again by the group's next member.
 * A failed commit stops nothing: the next batch's commit, of a later position, covers it.
 */

export interface InFlightBatch {
  /** `topic/partition`: commits queue per partition. */
  partition: string;
  events: number;
  /** Resolves true once the batch is stored, false if it was given up. */
  stored: Promise<boolean>;
  /** Commits the batch's offsets; runs only once this batch and the partition's earlier ones are stored. */
  commit(): Promise<void>;
  /** Told when the commit failed (a rebalance, say); the partition's next commit covers the batch. */
  commitFailed(error: unknown): void;
}

export class InFlight {
  private events = 0;
  /** Per partition: whether every batch queued so far was stored. */
  private readonly queues = new Map<string, Promise<boolean>>();
  /** Every batch not yet settled, whatever its generation (`reset` forgets only the queues). */
  private readonly unsettled = new Set<Promise<boolean>>();
  private readonly waiting = new Set<() => void>();

  constructor(private readonly maxEvents: number) {}

  add(batch: InFlightBatch): void {
    this.events += batch.events;
    const before = this.queues.get(batch.partition) ?? Promise.resolve(true);
    // A queue that failed unexpectedly (the failure report threw) counts as not stored: the
    // partition's later batches are then read again rather than committed past it.
    const queued = before.then((earlierStored) => this.settle(batch, earlierStored)).catch(() => false);
    this.queues.set(batch.partition, queued);
    this.unsettled.add(queued);
    void queued.then(() => {
      this.unsettled.delete(queued);
      this.events -= batch.events;
      for (const wake of this.waiting) wake();
    });
  }

  /**
   * Forgets the queues (a new group generation: the member reads its partitions again from their
   * committed offsets). Batches already queued still settle and count until they do.
   */
  reset(): void {
    this.queues.clear();
  }

  /** Resolves once fewer than the most events allowed are in flight. */
  async room(): Promise<void> {
    while (this.events >= this.maxEvents) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiting.delete(wake);
          resolve();
        };
        this.waiting.add(wake);
      });
    }
  }

  /** Resolves once every batch handed over so far is committed or given up. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.unsettled]);
  }

  private async settle(batch: InFlightBatch, earlierStored: boolean): Promise<boolean> {
    const stored = await batch.stored.catch(() => false);
    if (!earlierStored || !stored) return false;
    try {
      await batch.commit();
    } catch (error) {
      batch.commitFailed(error);
    }
    return true;
  }
}
