/**
 * `verify`: proves a policy's own invariants against generated traffic with fast-check, and on
 * failure returns the shrunk counterexample trace with every decision, so a person can read why.
 */
import fc from "fast-check";
import { decide, evolve, initialState } from "../decide.js";
import type { CompiledPolicy } from "../load.js";
import { type InvariantCheck, invariantChecks, type Violation } from "./checks.js";
import { type DecidedCall, type TimedCall, TRACE_EPOCH } from "./trace.js";
import { type TrafficOptions, trafficArbitrary } from "./traffic.js";

export interface VerifyOptions extends TrafficOptions {
  /** Traces per invariant. */
  runs?: number;
  seed?: number;
}

export interface InvariantResult {
  id: string;
  title: string;
  status: "proven" | "violated";
  traces: number;
  calls: number;
  counterexample?: Counterexample;
}

export interface Counterexample {
  message: string;
  /** The shrunk trace, every call with its decision. */
  trace: DecidedCall[];
  /** The calls that make up the violation, by index in `trace`. */
  calls: number[];
  /** fast-check's replay path: with the same seed, reproduces this counterexample directly. */
  path: string;
}

export interface VerifyReport {
  policy: string;
  digest: string;
  seed: number;
  runs: number;
  results: InvariantResult[];
  ok: boolean;
}

export const DEFAULT_RUNS = 1000;

export function verifyPolicy(policy: CompiledPolicy, options: VerifyOptions = {}): VerifyReport {
  const runs = options.runs ?? DEFAULT_RUNS;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const traffic = trafficArbitrary(policy.doc, options);
  const results = invariantChecks(policy.doc).map((check) => verifyOne(policy, check, traffic, runs, seed));
  return {
    policy: policy.source,
    digest: policy.digest,
    seed,
    runs,
    results,
    ok: results.every((result) => result.status === "proven"),
  };
}

function verifyOne(
  policy: CompiledPolicy,
  check: InvariantCheck,
  traffic: fc.Arbitrary<TimedCall[]>,
  runs: number,
  seed: number,
): InvariantResult {
  let calls = 0;
  const property = fc.property(traffic, (trace) => {
    calls += trace.length;
    return check.check(decideTrace(policy, trace)) === undefined;
  });
  const details = fc.check(property, { numRuns: runs, seed });
  const base = { id: check.id, title: check.title, traces: details.numRuns, calls };
  if (!details.failed) return { ...base, status: "proven" };
  if (details.counterexample === null) {
    // Only happens when the property itself crashed: a bug in tollgate, not in the policy.
    throw new Error(`verifying ${check.id} crashed: ${String(details.errorInstance)}`);
  }
  const [shrunk] = details.counterexample;
  const decided = decideTrace(policy, shrunk);
  const violation = check.check(decided) as Violation;
  return {
    ...base,
    status: "violated",
    counterexample: {
      message: violation.message,
      trace: decided,
      calls: violation.calls,
      path: details.counterexamplePath ?? "",
    },
  };
}

/** Runs a trace through the decider from an empty state: the same fold the gateway and replay do. */
export function decideTrace(policy: CompiledPolicy, trace: readonly TimedCall[]): DecidedCall[] {
  let state = initialState();
  return trace.map(({ offset, call }) => {
    const decision = decide(policy, state, call, TRACE_EPOCH + offset);
    state = evolve(state, decision);
    return { offset, call, decision };
  });
}
