/** A trace: calls at times, and what the policy decided for each, in order. */
import type { Call, Decision } from "../types.js";

export interface TimedCall {
  /** Milliseconds since the trace began. */
  offset: number;
  call: Call;
}

export interface DecidedCall extends TimedCall {
  decision: Decision;
}

/** Where traces start: a fixed, realistic epoch so calendar windows behave as in real life. */
export const TRACE_EPOCH = Date.UTC(2026, 0, 5, 9, 0, 0);
