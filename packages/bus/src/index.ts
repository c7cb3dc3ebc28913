/** @tollgate/bus: where events travel — the local spool, Kafka, and a JSON-lines file. */

export { BufferedKafkaSink, type BufferedKafkaSinkOptions } from "./buffered-kafka-sink.js";
export { type JsonlContents, JsonlSink, readJsonl } from "./jsonl-sink.js";
export * from "./kafka/index.js";
export * from "./spool/index.js";
