/** The Kafka side of the bus: topics, the event sink, and the consumer-group source. */
export { type Kafka, logLevel as KafkaLogLevel } from "kafkajs";
export { createKafka, type KafkaClientOptions, quietLogCreator } from "./client.js";
export {
  type BatchOrigin,
  type CollectedBatch,
  type CollectorFactory,
  type ConsumeEventsOptions,
  type ConsumerCounters,
  collectEvents,
  consumeEvents,
  type EventBatch,
  type EventBatchHandler,
  type EventCollector,
  type EventConsumer,
  type EventList,
} from "./consumer.js";
export { ORIGIN_HEADERS, type PoisonMessage } from "./dead-letter.js";
export type { DeliveryCounters } from "./delivery-queue.js";
export { fetchLag, type PartitionLag } from "./lag.js";
export { EVENT_HEADERS, eventKey, toKafkaMessage } from "./messages.js";
export { KafkaDeliveryError, KafkaSink, type KafkaSinkOptions } from "./sink.js";
export {
  type PartitionRange,
  partitionsToRead,
  type ReadStretchOptions,
  readStretch,
  type StretchBatch,
  TopicNotFoundError,
  type TopicStretch,
  topicStretch,
} from "./topic-range.js";
export {
  type BusTopicOptions,
  type BusTopics,
  type CleanupPolicy,
  type ConfigDrift,
  defineBusTopics,
  ensureTopics,
  type TopicCompression,
  TopicMismatchError,
  type TopicReport,
  type TopicSpec,
  topicConfigEntries,
  toTopicConfig,
} from "./topics.js";
