/**
 * Shared plumbing for the property tests: how many runs, which seed, and running a trace through
 * the engine with an injected clock (each call's recorded time is its `now`).
 */
import type fc from "fast-check";
import { expect } from "vitest";
import {
  type CompiledPolicy,
  cloneState,
  compilePolicy,
  type Decision,
  type DecisionState,
  decide,
  evolve,
  formatProblems,
  initialState,
  type Verdict,
} from "../src/index.js";
import type { Trace } from "./arbitraries.js";
import type { ReferenceVerdict } from "./reference-model.js";

function envInteger(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value)) throw new Error(`${name} must be an integer, found ${JSON.stringify(text)}`);
  return value;
}

/** Runs of a property over whole traces (policy + traffic + engine + often the reference model). */
export const NUM_RUNS = envInteger("TOLLGATE_PROPERTY_RUNS", 500);
/** Runs of a property over single calls: cheap, so four times as many. */
export const CHEAP_RUNS = NUM_RUNS * 4;
/** The seed of every property: a failure reproduces as is, and prints this seed and its `path`. */
export const SEED = envInteger("TOLLGATE_PROPERTY_SEED", 20_240_611);

/**
 * Replays one counterexample: the `path` a failure printed, with its seed. A path belongs to one
 * property, so select that test alone (`vitest run … -t "name"`) when setting it.
 */
const PATH = process.env.TOLLGATE_PROPERTY_PATH || undefined;

/** fast-check parameters for a property: the shared seed, and `numRuns` runs. */
export function runs(numRuns: number = NUM_RUNS): fc.Parameters<unknown> {
  return PATH === undefined
    ? { numRuns, seed: SEED }
    : { numRuns, seed: SEED, path: PATH, endOnFailure: true };
}

/** Compiles a generated document; every generated document is meant to be valid. */
export function compileOk(doc: unknown): CompiledPolicy {
  const result = compilePolicy(doc);
  if (!result.ok) throw new Error(`${formatProblems(result.problems)}\n${JSON.stringify(doc, null, 2)}`);
  return result.policy;
}

/** decide + evolve over a trace, on a fresh state unless one is given. */
export function runTrace(
  policy: CompiledPolicy,
  trace: Trace,
  state: DecisionState = initialState(),
): Decision[] {
  return trace.map(({ at, call }) => {
    const decision = decide(policy, state, call, at);
    evolve(state, decision);
    return decision;
  });
}

/** decide + evolve over a trace, also returning (a copy of) the state each call was decided in. */
export function runTraceWithStates(
  policy: CompiledPolicy,
  trace: Trace,
): { decisions: Decision[]; statesBefore: DecisionState[] } {
  const state = initialState();
  const statesBefore: DecisionState[] = [];
  const decisions = trace.map(({ at, call }) => {
    statesBefore.push(cloneState(state));
    const decision = decide(policy, state, call, at);
    evolve(state, decision);
    return decision;
  });
  return { decisions, statesBefore };
}

/** The parts of a verdict the reference model also computes. */
export function comparable(verdict: Verdict & { approvalTimeoutMs?: number }): ReferenceVerdict {
  const view: ReferenceVerdict = {
    outcome: verdict.outcome,
    rule: verdict.rule,
    basis: verdict.basis,
    counters: verdict.counters.map(({ counter, subject, limit, used }) => ({
      counter,
      subject,
      limit,
      used,
    })),
  };
  if (verdict.approvalTimeoutMs !== undefined) view.approvalTimeoutMs = verdict.approvalTimeoutMs;
  return view;
}

/** A verdict without the free-text reason, for comparing decisions of two different policies. */
export function outcomeRuleBasis(verdict: Verdict | undefined) {
  return verdict === undefined
    ? undefined
    : { outcome: verdict.outcome, rule: verdict.rule, basis: verdict.basis };
}

/** Fails with the trace step when two runs disagree, which makes counterexamples readable. */
export function expectSameAt(step: number, actual: unknown, expected: unknown, what: string): void {
  expect(actual, `${what} at step ${step}`).toEqual(expected);
}
