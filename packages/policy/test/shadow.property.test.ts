/**
 * "Shadow" (docs/POLICY.md): shadow rules are left out of what is enforced and evaluated, against
 * their own counters, in `decision.shadow`; a policy in shadow mode enforces nothing.
 *
 * Runs per property (TOLLGATE_PROPERTY_RUNS overrides NUM_RUNS; the seed is TOLLGATE_PROPERTY_SEED):
 *   both properties ..... NUM_RUNS = 500 (policy, trace) pairs
 */
import fc from "fast-check";
import { describe, test } from "vitest";
import type { Decision, PolicyDoc, ToolRuleDoc, Verdict } from "../src/index.js";
import { policyDocArb, traceArb } from "./arbitraries.js";
import { compileOk, expectSameAt, runs, runTrace } from "./harness.js";

describe("shadow", () => {
  test("the live verdict is the policy without its shadow rules; decision.shadow is the policy with them enforced", () => {
    fc.assert(
      fc.property(policyDocArb({ mode: "enforce" }), traceArb(), (doc, trace) => {
        const decisions = runTrace(compileOk(doc), trace);
        const withoutShadowRules = runTrace(compileOk(enforcedRulesOnly(doc)), trace);
        const allRulesEnforced = runTrace(compileOk(everyRuleEnforced(doc)), trace);
        const hasShadowRules = Object.values(doc.tools ?? {}).some((rule) => rule.mode === "shadow");
        decisions.forEach((decision, step) => {
          expectSameAt(step, liveDecision(decision), withoutShadowRules[step], "live decision");
          const expectedShadow = hasShadowRules ? verdictOf(allRulesEnforced[step]!) : undefined;
          expectSameAt(step, decision.shadow, expectedShadow, "shadow verdict");
        });
      }),
      runs(),
    );
  });

  test("a policy in shadow mode enforces nothing: every call is allowed (basis shadow_mode) and decision.shadow is the enforced verdict", () => {
    fc.assert(
      fc.property(policyDocArb({ mode: "shadow" }), traceArb(), (doc, trace) => {
        const decisions = runTrace(compileOk(doc), trace);
        const enforced = runTrace(compileOk(everyRuleEnforced(doc)), trace);
        decisions.forEach((decision, step) => {
          const live = { outcome: decision.outcome, basis: decision.basis, counters: decision.counters };
          expectSameAt(step, live, { outcome: "allow", basis: "shadow_mode", counters: [] }, "live verdict");
          expectSameAt(step, decision.shadow, verdictOf(enforced[step]!), "shadow verdict");
        });
      }),
      runs(),
    );
  });
});

/** The document with its shadow rules removed. */
function enforcedRulesOnly(doc: PolicyDoc): PolicyDoc {
  const tools = Object.entries(doc.tools ?? {}).filter(([, rule]) => rule.mode !== "shadow");
  return { ...doc, tools: Object.fromEntries(tools) };
}

/** The document in enforce mode with every rule enforced. */
function everyRuleEnforced(doc: PolicyDoc): PolicyDoc {
  const tools = Object.entries(doc.tools ?? {}).map(([key, rule]): [string, ToolRuleDoc] => {
    const { mode: _mode, ...enforced } = rule;
    return [key, enforced];
  });
  return { ...doc, mode: "enforce", tools: Object.fromEntries(tools) };
}

function liveDecision(decision: Decision): Omit<Decision, "shadow"> {
  const { shadow: _shadow, ...live } = decision;
  return live;
}

/** What a `decision.shadow` holds: the verdict, without the time and the approval timeout. */
function verdictOf(decision: Decision): Verdict {
  const { outcome, rule, basis, reason, counters } = decision;
  return { outcome, rule, basis, reason, counters };
}
