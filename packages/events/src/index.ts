/** @tollgate/events: the event envelope and payloads, the hash chain, redaction, and the sink interface. */
export { type ChainProblem, EventChain, hashEvent, type UnsealedEvent, verifyChains } from "./chain.js";
export { hashValue } from "./hash.js";
export { newEventId } from "./ids.js";
export { type ParsedEvent, parseEvent, serializeEvent } from "./parse.js";
export {
  createRedactor,
  DEFAULT_REDACTION,
  type Redacted,
  type RedactionRules,
  type Redactor,
} from "./redact.js";
export {
  type CallInfo,
  type DecisionRecord,
  EVENT_SCHEMA,
  type EventOfType,
  type EventType,
  type PayloadOf,
  type SessionInfo,
  TollgateEvent,
} from "./schema.js";
export { type EventSink, MemorySink } from "./sink.js";
export { prepareEventChecks } from "./validate.js";
