/**
 * The engine against the reference model (reference-model.ts), and the engine against hostile input.
 *
 * Runs per property (TOLLGATE_PROPERTY_RUNS overrides NUM_RUNS, CHEAP_RUNS is 4 × NUM_RUNS; the seed
 * is TOLLGATE_PROPERTY_SEED; see harness.ts):
 *   differential, live and shadow verdicts ....... NUM_RUNS = 500 (policy, trace) pairs
 *   decide never mutates state, call or policy ... NUM_RUNS = 500 (policy, trace) pairs
 *   decide never throws on hostile calls ......... CHEAP_RUNS = 2000 runs of 1–5 calls, on 64 sampled policies
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { decide, evolve, initialState } from "../src/index.js";
import { policyDocArb, traceArb } from "./arbitraries.js";
import { CHEAP_RUNS, comparable, compileOk, expectSameAt, NUM_RUNS, runs, SEED } from "./harness.js";
import { ReferenceModel } from "./reference-model.js";

describe("the engine agrees with the reference model", () => {
  test("same outcome, deciding rule, basis and counters on every call of every trace, live and shadow", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        const policy = compileOk(doc);
        const reference = new ReferenceModel(doc);
        const state = initialState();
        trace.forEach(({ at, call }, step) => {
          const decision = decide(policy, state, call, at);
          evolve(state, decision);
          const expected = reference.decide(call, at);
          expectSameAt(step, comparable(decision), withoutShadow(expected), "live verdict");
          expectSameAt(
            step,
            decision.shadow === undefined ? undefined : comparable(decision.shadow),
            expected.shadow,
            "shadow verdict",
          );
        });
      }),
      runs(NUM_RUNS),
    );
  });
});

describe("decide is safe to call", () => {
  test("decide never mutates the state, the call or the policy document", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        const policy = compileOk(doc);
        const docBefore = structuredClone(policy.doc);
        const state = initialState();
        for (const { at, call } of trace) {
          const stateBefore = structuredClone(state);
          const callBefore = structuredClone(call);
          const decision = decide(policy, state, call, at);
          expect(state).toStrictEqual(stateBefore);
          expect(call).toStrictEqual(callBefore);
          evolve(state, decision);
        }
        expect(policy.doc).toStrictEqual(docBefore);
      }),
      runs(NUM_RUNS),
    );
  });

  test("decide never throws on arbitrary JSON arguments, tool and server names, and its decision is JSON", () => {
    // The property is about hostile calls, so a sample of policies compiled once keeps each run cheap.
    const policies = fc.sample(policyDocArb(), { numRuns: 64, seed: SEED }).map((doc) => compileOk(doc));
    const anyText = fc.string({ unit: "binary", maxLength: 12 });
    const hostileCall = fc.record({
      tool: fc.oneof(anyText, fc.constantFrom("t_read", "k8s_pod_exec", "srv1:t_write", ":", "*")),
      server: fc.option(fc.oneof(anyText, fc.constantFrom("srv1", "")), { nil: undefined }),
      args: fc.oneof(fc.jsonValue(), fc.object(), fc.constant(undefined)),
      identity: fc.record({ agent: anyText, grant: anyText, session: anyText }),
      approval: fc.option(fc.constant<"granted">("granted"), { nil: undefined }),
    });
    const timedCalls = fc
      .array(fc.tuple(hostileCall, fc.integer({ min: 0, max: 2 ** 45 })), { minLength: 1, maxLength: 5 })
      .map((calls) => calls.sort(([, a], [, b]) => a - b));
    fc.assert(
      fc.property(fc.constantFrom(...policies), timedCalls, (policy, calls) => {
        const state = initialState();
        for (const [call, at] of calls) {
          const decision = decide(policy, state, call, at);
          expect(["allow", "deny", "rate_limited", "approval_required"]).toContain(decision.outcome);
          expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
          evolve(state, decision);
        }
      }),
      runs(CHEAP_RUNS),
    );
  });
});

function withoutShadow<T extends { shadow?: unknown }>(decision: T): Omit<T, "shadow"> {
  const { shadow: _shadow, ...rest } = decision;
  return rest;
}
