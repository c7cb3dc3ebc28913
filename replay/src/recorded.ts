/**
 * A recorded call as replay reads it: the identity, tool and (redacted) arguments the gateway
 * decided on, the time it gave the decider, and the decision it recorded. Every source (the store,
 * the spool, a Kafka topic, an events file) produces these in each gateway instance's chain order.
 */
import type { Basis, Outcome } from "@tollgate/policy";

export interface RecordedVerdict {
  outcome: Outcome;
  rule: string;
  basis: Basis;
}

export type RecordedShadow = Pick<RecordedVerdict, "outcome" | "rule">;

export interface RecordedCall {
  /** The call.decided event's id. */
  eventId: string;
  callId: string;
  /** The gateway instance: each keeps its own counters, so replay keeps one state per instance. */
  instance: string;
  seq: number;
  /** `decision.at`: the time the decider was given. */
  at: number;
  session: string;
  agent: string;
  grant: string;
  server: string;
  tool: string;
  /**
   * The redacted arguments as JSON text, or undefined when the source left them out because no
   * policy in the replay reads this tool's arguments (only whether they were an object matters).
   */
  argumentsJson: string | undefined;
  /** Whether the arguments were a JSON object (the decider refuses anything else). */
  argumentsAreObject: boolean;
  /** Redaction replaced some arguments: an argument check may not see what the gateway saw. */
  redacted: boolean;
  /** The re-decision of a held call after a person approved it. */
  approved: boolean;
  /** The digest of the policy that decided. */
  digest: string;
  recorded: RecordedVerdict;
  /** What the policy's shadow rules decided, when it had any. */
  recordedShadow: RecordedShadow | undefined;
}

/** The time range replayed, epoch ms, `to` exclusive. */
export interface ReplayWindow {
  from: number;
  to: number;
}

/** Which calls the report is about; every call is still replayed, since counters are shared. */
export interface ReplayFilter {
  agent?: string;
  grant?: string;
  session?: string;
  server?: string;
  tool?: string;
}

export function matchesFilter(call: RecordedCall, filter: ReplayFilter): boolean {
  return (
    (filter.agent === undefined || call.agent === filter.agent) &&
    (filter.grant === undefined || call.grant === filter.grant) &&
    (filter.session === undefined || call.session === filter.session) &&
    (filter.server === undefined || call.server === filter.server) &&
    (filter.tool === undefined || call.tool === filter.tool)
  );
}
