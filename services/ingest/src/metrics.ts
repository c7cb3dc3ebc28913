const LATENCY_SAMPLE = 100_000;

/** What ingest reports about itself: throughput, lag, retries, dead letters (Prometheus text format). */
export class IngestMetrics {
  eventsStored = 0;
  batchesStored = 0;
  deadLetters = 0;
  storeRetries = 0;
  /** Records known to be waiting behind the last commit, where the source can tell. */
  lag = 0;
  lastBatchAt: number | undefined;
  private readonly started = Date.now();

  /**
   * Milliseconds from an event's creation to its row being queryable: the most recent LATENCY_SAMPLE,
   * in a ring, so recording one is O(1) however long ingest runs.
   */
  private readonly latencies: number[] = [];
  private nextLatency = 0;

  stored(events: number, createdAt: readonly number[] = []): void {
    const now = Date.now();
    for (const time of createdAt) {
      this.latencies[this.nextLatency] = now - time;
      this.nextLatency = (this.nextLatency + 1) % LATENCY_SAMPLE;
    }
    this.eventsStored += events;
    this.batchesStored += 1;
    this.lastBatchAt = now;
  }

  /** The q-quantile (0..1) of creation-to-queryable latency over the recent sample, in ms. */
  latency(q: number): number | undefined {
    if (this.latencies.length === 0) return undefined;
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }

  /** Events per second since start. */
  get throughput(): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? this.eventsStored / seconds : 0;
  }

  prometheus(): string {
    const lines = [
      ["tollgate_ingest_events_stored_total", "counter", "events written to ClickHouse", this.eventsStored],
      [
        "tollgate_ingest_batches_stored_total",
        "counter",
        "batches written to ClickHouse",
        this.batchesStored,
      ],
      [
        "tollgate_ingest_dead_letters_total",
        "counter",
        "messages sent to the dead-letter destination",
        this.deadLetters,
      ],
      [
        "tollgate_ingest_store_retries_total",
        "counter",
        "failed ClickHouse writes retried",
        this.storeRetries,
      ],
      ["tollgate_ingest_lag", "gauge", "records waiting behind the last commit", this.lag],
      ["tollgate_ingest_events_per_second", "gauge", "events stored per second since start", this.throughput],
    ] as const;
    return lines
      .map(([name, type, help, value]) => `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}`)
      .join("\n");
  }
}
