/**
 * Calls decided in memory as bulk-load rows of `events` (TabSeparated): the columns replay reads,
 * with `{}` as the event JSON. For loads of many calls (the replay bench's week, replay's tests),
 * where building whole events would cost more than the replay under test.
 */
import type { RecordedCall, RecordedVerdict } from "@tollgate/replay";

export const DECIDED_CALL_COLUMNS = [
  "event_id",
  "type",
  "schema",
  "time",
  "gateway_instance",
  "chain_seq",
  "session_id",
  "agent",
  "grant",
  "call_id",
  "server",
  "tool",
  "outcome",
  "rule",
  "basis",
  "decided_at",
  "policy_digest",
  "approval",
  "arguments",
  "event_json",
];

/**
 * A decided call as the row holds it: a recorded call's identity, place and time, its verdict
 * flattened, and its approval and arguments as the columns spell them.
 */
export type DecidedCall = Pick<
  RecordedCall,
  | "eventId"
  | "instance"
  | "seq"
  | "at"
  | "session"
  | "agent"
  | "grant"
  | "callId"
  | "server"
  | "tool"
  | "digest"
> &
  RecordedVerdict & {
    /** `granted` for the re-decision after a person's approval. */
    approval: string;
    argumentsJson: string;
  };

/** One row, newline included, in the order of DECIDED_CALL_COLUMNS. */
export function decidedCallRow(call: DecidedCall): string {
  return `${[
    call.eventId,
    "call.decided",
    "tollgate.event/v1",
    new Date(call.at).toISOString().slice(0, 23).replace("T", " "),
    call.instance,
    String(call.seq),
    call.session,
    call.agent,
    call.grant,
    call.callId,
    call.server,
    call.tool,
    call.outcome,
    call.rule,
    call.basis,
    String(call.at),
    call.digest,
    call.approval,
    call.argumentsJson,
    "{}",
  ].join("\t")}\n`;
}
