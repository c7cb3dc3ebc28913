/** @tollgate/bus: where events travel. The JSONL file sink now; Kafka and the spool next. */
export { type JsonlContents, JsonlSink, readJsonl } from "./jsonl-sink.js";
