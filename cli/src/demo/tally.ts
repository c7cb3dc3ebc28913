/** What a demo day came to: printed by `tollgate demo traffic`, asserted by its test. */
import type { Outcome } from "@tollgate/policy";

export interface RateLimitedSession {
  session: string;
  agent: string;
  tool: string;
  /** Calls of this session the limiter refused. */
  calls: number;
}

export interface Tally {
  sessions: number;
  calls: number;
  /** Each call's first decision. */
  outcomes: Record<Outcome, number>;
  /** How held calls ended. */
  resolutions: Record<"approved" | "denied" | "timed_out", number>;
  /** Calls with at least one argument redacted in the record. */
  redactedCalls: number;
  rateLimitedSessions: Map<string, RateLimitedSession>;
}

export function emptyTally(): Tally {
  return {
    sessions: 0,
    calls: 0,
    outcomes: { allow: 0, deny: 0, rate_limited: 0, approval_required: 0 },
    resolutions: { approved: 0, denied: 0, timed_out: 0 },
    redactedCalls: 0,
    rateLimitedSessions: new Map(),
  };
}
