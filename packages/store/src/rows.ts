/** An event as a row of the `events` table: its JSON verbatim, plus the columns queries filter on. */
import { serializeEvent, type TollgateEvent } from "@tollgate/events";

/** An event with the exact JSON it arrived as (a Kafka message), stored instead of re-serializing. */
export interface RawEvent {
  event: TollgateEvent;
  json: string;
}

export type EventInput = TollgateEvent | RawEvent;

/** Column names as in the DDL (migrations.ts); absent values are '' so filters need no NULL logic. */
export interface EventRow {
  event_id: string;
  type: string;
  schema: string;
  /** Epoch ms: JSONEachRow reads an integer as DateTime64(3) ticks. */
  time: number;
  gateway_instance: string;
  gateway_version: string;
  chain_seq: number;
  chain_prev: string | null;
  chain_hash: string;
  session_id: string;
  agent: string;
  grant: string;
  client_name: string;
  client_version: string;
  transport: string;
  call_id: string;
  server: string;
  tool: string;
  outcome: string;
  rule: string;
  basis: string;
  reason: string;
  status: string;
  latency_ms: number | null;
  decided_at: number;
  policy_digest: string;
  approval: string;
  arguments: string;
  arguments_object: 0 | 1;
  redacted: readonly string[];
  shadow_outcome: string;
  shadow_rule: string;
  event_json: string;
}

export function eventRow(input: EventInput): EventRow {
  const { event, json } = "json" in input ? input : { event: input, json: serializeEvent(input) };
  return {
    event_id: event.id,
    type: event.type,
    schema: event.schema,
    time: Math.trunc(event.time),
    gateway_instance: event.gateway.instance,
    gateway_version: event.gateway.version,
    chain_seq: event.chain.seq,
    chain_prev: event.chain.prev,
    chain_hash: event.chain.hash,
    session_id: event.session?.id ?? "",
    agent: event.session?.agent ?? "",
    grant: event.session?.grant ?? "",
    client_name: event.session?.client?.name ?? "",
    client_version: event.session?.client?.version ?? "",
    transport: event.session?.transport ?? "",
    ...callColumns(event),
    event_json: json,
  };
}

type CallColumns = Pick<
  EventRow,
  | "call_id"
  | "server"
  | "tool"
  | "outcome"
  | "rule"
  | "basis"
  | "reason"
  | "status"
  | "latency_ms"
  | "decided_at"
  | "policy_digest"
  | "approval"
  | "arguments"
  | "arguments_object"
  | "redacted"
  | "shadow_outcome"
  | "shadow_rule"
>;

const NO_CALL: CallColumns = {
  call_id: "",
  server: "",
  tool: "",
  outcome: "",
  rule: "",
  basis: "",
  reason: "",
  status: "",
  latency_ms: null,
  decided_at: 0,
  policy_digest: "",
  approval: "",
  arguments: "",
  arguments_object: 0,
  redacted: [],
  shadow_outcome: "",
  shadow_rule: "",
};

function callColumns(event: TollgateEvent): CallColumns {
  switch (event.type) {
    case "call.decided": {
      const { call, decision } = event.payload;
      return {
        ...NO_CALL,
        call_id: call.id,
        server: call.server,
        tool: call.tool,
        outcome: decision.outcome,
        rule: decision.rule,
        basis: decision.basis,
        reason: decision.reason,
        decided_at: decision.at,
        policy_digest: decision.policy.digest,
        approval: decision.approval ?? "",
        arguments: JSON.stringify(call.arguments) ?? "null",
        arguments_object: isObject(call.arguments) ? 1 : 0,
        redacted: call.redacted,
        shadow_outcome: decision.shadow?.outcome ?? "",
        shadow_rule: decision.shadow?.rule ?? "",
      };
    }
    case "call.completed":
      return {
        ...NO_CALL,
        call_id: event.payload.callId,
        status: event.payload.status,
        latency_ms: event.payload.latencyMs,
      };
    case "approval.requested":
      return {
        ...NO_CALL,
        call_id: event.payload.callId,
        rule: event.payload.rule,
        reason: event.payload.reason,
      };
    case "approval.resolved":
      return { ...NO_CALL, call_id: event.payload.callId, status: event.payload.resolution };
    default:
      return NO_CALL;
  }
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
