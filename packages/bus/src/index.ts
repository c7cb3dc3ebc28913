/** @tollgate/bus: where events travel — the local spool, Kafka, and a JSON-lines file. */
export { type JsonlContents, JsonlSink, readJsonl } from "./jsonl-sink.js";
export * from "./spool/index.js";
export * from "./kafka/index.js";
