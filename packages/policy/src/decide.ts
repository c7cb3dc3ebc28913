/**
 * The decider. `decide` is a pure function of (policy, state, call, now): no clock, no I/O, no
 * randomness. `evolve` folds a decision into the state: only allowed calls consume quota.
 * The live gateway passes the wall clock as `now`; replay passes each recorded event's time, so the
 * same code reproduces the same decisions.
 *
 * State is owned, as in a linear type: `evolve` may update the state it is given and returns it;
 * a caller that needs the state before and after (a what-if) clones it with `cloneState` first.
 * That keeps the hot path free of copying while `decide` itself never mutates anything.
 */
import type { ArgumentsObject } from "./arguments.js";
import type { CompiledRules, Ruleset, ToolPlan } from "./compile.js";
import {
  type CompiledLimit,
  type CounterTable,
  cloneTable,
  counterLog,
  prune as pruneTable,
  record,
  usedInWindow,
} from "./limiter.js";
import type { Basis, Call, CounterUse, Decision, Identity, Outcome, Verdict } from "./types.js";

/** Shared by every decision that evaluated no counter; frozen so that nobody can fill it. */
const NO_COUNTERS: readonly CounterUse[] = Object.freeze([]);

export interface DecisionState {
  live: CounterTable;
  shadow: CounterTable;
}

export function initialState(): DecisionState {
  return { live: new Map(), shadow: new Map() };
}

export function cloneState(state: DecisionState): DecisionState {
  return { live: cloneTable(state.live), shadow: cloneTable(state.shadow) };
}

/** Forgets counters that no longer matter at `now`; the gateway calls it now and then. */
export function pruneState(state: DecisionState, now: number): DecisionState {
  pruneTable(state.live, now);
  pruneTable(state.shadow, now);
  return state;
}

/** Anything that carries compiled rules: a CompiledPolicy does. */
export interface Decidable {
  rules: CompiledRules;
}

export function decide(policy: Decidable, state: DecisionState, call: Call, now: number): Decision {
  const { live, shadow, mode } = policy.rules;
  const decision =
    mode === "shadow"
      ? made(now, "allow", "mode", "shadow_mode", SHADOW_MODE_REASON, NO_COUNTERS)
      : decideIn(live, state.live, call, now);
  if (shadow !== undefined) decision.shadow = verdictOf(decideIn(shadow, state.shadow, call, now));
  return decision;
}

/** A policy in shadow mode enforces nothing, whatever the call: it only records what it would do. */
const SHADOW_MODE_REASON = "the policy is in shadow mode: decisions are recorded, not enforced";

export function evolve(state: DecisionState, decision: Decision): DecisionState {
  if (decision.outcome === "allow") charge(state.live, decision.counters, decision.at);
  if (decision.shadow?.outcome === "allow") charge(state.shadow, decision.shadow.counters, decision.at);
  return state;
}

function charge(table: CounterTable, counters: readonly CounterUse[], at: number): void {
  for (const use of counters) record(table, use, at);
}

function verdictOf(decision: Decision): Verdict {
  const { outcome, rule, basis, reason, counters } = decision;
  return { outcome, rule, basis, reason, counters };
}

function decideIn(ruleset: Ruleset, table: CounterTable, call: Call, now: number): Decision {
  const plan = ruleset.plan(call.server, call.tool);
  if (plan.matched.length === 0 && ruleset.defaultAction === "deny") {
    return denial(
      now,
      "default",
      "default",
      `"${call.tool}" is not allowed: no rule names it and the policy's default is deny`,
    );
  }
  if (plan.deny !== undefined) {
    const rule = plan.deny;
    const reason =
      rule.reason ??
      (rule.action === "deny"
        ? `"${call.tool}" is denied by ${rule.id}`
        : `"${call.tool}" is hidden by ${rule.id}`);
    return denial(now, rule.id, "rule", reason);
  }
  const argumentRefusal = checkArguments(plan, call.args, now);
  if (argumentRefusal !== undefined) return argumentRefusal;
  return checkLimitsAndApproval(plan, table, call, now);
}

function checkArguments(plan: ToolPlan, args: unknown, now: number): Decision | undefined {
  const object = asArgumentsObject(args);
  if (object === undefined) {
    return denial(now, "arguments", "arguments", `arguments must be a JSON object, found ${kindOf(args)}`);
  }
  for (const check of plan.argumentChecks) {
    const reason = check.refuse(object);
    if (reason !== undefined) return denial(now, check.id, "arguments", reason);
  }
  return undefined;
}

function checkLimitsAndApproval(plan: ToolPlan, table: CounterTable, call: Call, now: number): Decision {
  let counters = NO_COUNTERS;
  let exceeded: CounterUse | undefined;
  let exceededLimit: CompiledLimit | undefined;
  const { limits } = plan;
  if (limits.length > 0) {
    // Sized up front: a pushed-to empty array reserves room for 17 elements, per decision.
    const uses = new Array<CounterUse>(limits.length);
    for (let index = 0; index < limits.length; index += 1) {
      const limit = limits[index] as CompiledLimit;
      const use = counterUse(limit, table, call.identity, now);
      uses[index] = use;
      if (exceeded === undefined && use.used >= use.max) {
        exceeded = use;
        exceededLimit = limit;
      }
    }
    counters = uses;
  }
  if (exceeded !== undefined && exceededLimit !== undefined) {
    return made(now, "rate_limited", exceeded.limit, "limit", limitReason(exceededLimit, exceeded), counters);
  }
  if (plan.approve !== undefined && call.approval !== "granted") {
    const rule = plan.approve;
    const reason = rule.reason ?? `"${call.tool}" needs a person's approval (${rule.id})`;
    const held = made(now, "approval_required", rule.id, "approval", reason, counters);
    held.approvalTimeoutMs = rule.approvalTimeoutMs;
    return held;
  }
  const primary = plan.matched[0];
  const basis = primary === undefined ? "default" : "rule";
  return made(now, "allow", primary?.id ?? "default", basis, plan.allowReason, counters);
}

function counterUse(limit: CompiledLimit, table: CounterTable, identity: Identity, now: number): CounterUse {
  const subject = subjectOf(limit, identity);
  return {
    counter: limit.counter,
    scope: limit.scope,
    subject,
    limit: limit.id,
    windowMs: limit.windowMs,
    max: limit.max,
    algorithm: limit.algorithm,
    used: usedInWindow(counterLog(table, limit.counter, subject), limit.windowMs, now),
  };
}

function subjectOf(limit: CompiledLimit, identity: Identity): string {
  switch (limit.scope) {
    case "grant":
      return identity.grant;
    case "session":
      return identity.session;
    case "agent":
      return identity.agent;
    case "global":
      return "";
  }
}

function limitReason(limit: CompiledLimit, use: CounterUse): string {
  const who = use.scope === "global" ? "all callers have" : `${use.scope} "${use.subject}" has`;
  return `${limit.description}; ${who} used ${use.used} (${use.limit})`;
}

function denial(now: number, rule: string, basis: Basis, reason: string): Decision {
  return made(now, "deny", rule, basis, reason, NO_COUNTERS);
}

/** Every decision is built here, with its fields in one order, so they all share one hidden class. */
function made(
  at: number,
  outcome: Outcome,
  rule: string,
  basis: Basis,
  reason: string,
  counters: readonly CounterUse[],
): Decision {
  return { outcome, rule, basis, reason, counters, at };
}

function asArgumentsObject(args: unknown): ArgumentsObject | undefined {
  if (args === undefined) return {};
  if (args === null || typeof args !== "object" || Array.isArray(args)) return undefined;
  return args as ArgumentsObject;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}
