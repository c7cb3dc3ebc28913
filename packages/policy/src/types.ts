/**
 * The decider's vocabulary: the call it is asked about, and the decision it gives.
 * Everything here is plain data, serialisable as JSON, so that a decision can be recorded in an
 * event and compared with a replayed one.
 */
import type { Scope } from "./schema.js";

export type { Scope };

export interface Identity {
  agent: string;
  grant: string;
  session: string;
}

export interface Call {
  /** The upstream server's id in the gateway's configuration, for server-qualified rules. */
  server?: string;
  tool: string;
  /** The arguments as the agent sent them; anything that is not a JSON object is denied. */
  args?: unknown;
  identity: Identity;
  /** Set when a human approved this (previously held) call. */
  approval?: "granted";
}

export type Outcome = "allow" | "deny" | "rate_limited" | "approval_required";

/**
 * Why the outcome is what it is:
 * `rule` a tool rule's action, `default` the policy's default, `arguments` an argument check,
 * `limit` a rate limit, `approval` an approve rule, `shadow_mode` a policy in shadow mode.
 */
export type Basis = "rule" | "default" | "arguments" | "limit" | "approval" | "shadow_mode";

/** One rate-limit counter as this call found it. */
export interface CounterUse {
  counter: string;
  scope: Scope;
  /** The grant, session or agent id the counter is kept for; "" for the global scope. */
  subject: string;
  /** The rule id of the limit, e.g. `tools.k8s_pod_exec.limits[0]`. */
  limit: string;
  windowMs: number;
  max: number;
  algorithm: "sliding" | "fixed";
  /** Allowed calls already counted in the window when this call arrived. */
  used: number;
}

export interface Verdict {
  outcome: Outcome;
  /** A stable id pointing into the policy file (`tools.k8s_pod_exec`, `all_tools.limits[0]`) or `default`. */
  rule: string;
  basis: Basis;
  reason: string;
  /** The counters evaluated; empty when the call was denied before limits were looked at. */
  counters: readonly CounterUse[];
}

export interface Decision extends Verdict {
  /** The time the decision was made for, in epoch milliseconds (passed in, never read from a clock). */
  at: number;
  /** For approval_required: how long the gateway holds the call before it times out to a denial. */
  approvalTimeoutMs?: number;
  /** What the policy's shadow rules would have decided; present when the policy has any. */
  shadow?: Verdict;
}
