/** @tollgate/ingest: events into ClickHouse from the spool or Kafka, exactly once in effect. */
export { type DeadLetter, type DeadLetterSink, JsonlDeadLetters } from "./dead-letters.js";
export { ingestFromKafka, type KafkaIngestOptions } from "./kafka-ingest.js";
export { IngestMetrics } from "./metrics.js";
export {
  DEFAULT_SPOOL_BATCH_SIZE,
  ingestFromSpool,
  type RunningIngest,
  type SpoolIngestOptions,
} from "./spool-ingest.js";
export {
  type Batch,
  type BatchContext,
  type IngestContext,
  IngestStopped,
  storeBatch,
} from "./store-batch.js";
