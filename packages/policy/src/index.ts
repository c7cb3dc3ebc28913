/**
 * @tollgate/policy: the policy language and the pure decider.
 *
 *   const policy = await loadPolicyFile("policy.json");
 *   let state = initialState();
 *   const decision = decide(policy, state, call, now);
 *   state = evolve(state, decision);
 */
export type { CompiledRule, ToolPlan } from "./compile.js";
export {
  cloneState,
  type Decidable,
  type DecisionState,
  decide,
  evolve,
  initialState,
  pruneState,
} from "./decide.js";
export { loadPolicyFile, readPolicyFile } from "./file.js";
export { counterKeys } from "./limiter.js";
export {
  type CompiledPolicy,
  compilePolicy,
  coversTool,
  digestOf,
  type ParseOptions,
  type PolicyResult,
  parsePolicy,
} from "./load.js";
export type { PathSegment } from "./path.js";
export { formatPath } from "./path.js";
export { parsePattern, SERVER_SEPARATOR, type ToolPattern } from "./pattern.js";
export { formatProblem, formatProblems, PolicyError, type PolicyProblem } from "./problems.js";
export { longestWindowMs, readsArguments } from "./replay-support.js";
export type { InvariantDoc, LimitDoc, PolicyDoc, ToolRuleDoc } from "./schema.js";
export { SCOPES } from "./schema.js";
export type { Basis, Call, CounterUse, Decision, Identity, Outcome, Scope, Verdict } from "./types.js";
export * from "./verify/index.js";
export { describeWindow, parseWindow } from "./window.js";
