/**
 * "Invariants the engine proves" (docs/POLICY.md), 1–8, over random policies and random traffic,
 * with the clock injected: every call is decided at its recorded time.
 *
 * Runs per property (TOLLGATE_PROPERTY_RUNS overrides NUM_RUNS, CHEAP_RUNS is 4 × NUM_RUNS; the seed is
 * TOLLGATE_PROPERTY_SEED; TOLLGATE_PROPERTY_PATH replays one counterexample, see harness.ts):
 *   4, single limit, exactly t + W .... CHEAP_RUNS = 2000 (limit, trace) pairs
 *   every other property .............. NUM_RUNS = 500 (policy, trace) pairs; traces hold 1–84 calls
 * A failure prints fast-check's `seed` and `path`; the default seed reproduces it as is.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import {
  type Call,
  cloneState,
  type Decision,
  type DecisionState,
  decide,
  evolve,
  initialState,
  type PolicyDoc,
  pruneState,
  type Scope,
  type ToolRuleDoc,
  type Verdict,
} from "../src/index.js";
import {
  IDENTITIES,
  OTHER_IDENTITIES,
  policyDocArb,
  RULE_KEYS,
  type Trace,
  traceArb,
  WINDOWS_MS,
  windowForms,
} from "./arbitraries.js";
import {
  CHEAP_RUNS,
  compileOk,
  expectSameAt,
  outcomeRuleBasis,
  runs,
  runTrace,
  runTraceWithStates,
} from "./harness.js";
import {
  countInWindow,
  keyOf,
  limitsOf,
  matchingRules,
  type ReferenceLimit,
  ReferenceModel,
  subjectOf,
  type WorldName,
} from "./reference-model.js";

// ---------------------------------------------------------------------------------------------
// 1. Default deny

test("1. default deny: under default deny an unmatched call is denied by `default`; non-object arguments are always denied", () => {
  fc.assert(
    fc.property(policyDocArb(), traceArb(), (doc, trace) => {
      const decisions = runTrace(compileOk(doc), trace);
      trace.forEach(({ call }, step) => {
        for (const [world, verdict] of enforcedVerdicts(doc, decisions[step]!)) {
          if ((doc.default ?? "deny") === "deny" && matchingRules(doc, world, call).length === 0) {
            const expected = { outcome: "deny", rule: "default", basis: "default" };
            expectSameAt(
              step,
              outcomeRuleBasis(verdict),
              expected,
              `${world} verdict of a call no rule matches`,
            );
          }
          if (!isObjectOrAbsent(call.args)) {
            expectSameAt(step, verdict.outcome, "deny", `${world} verdict of non-object arguments`);
          }
        }
      });
    }),
    runs(),
  );
});

// ---------------------------------------------------------------------------------------------
// 2. Deny overrides allow

describe("2. deny overrides allow", () => {
  test("a call matched by a deny or hide rule is denied by one, in the trace's state and with every counter exhausted", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        const policy = compileOk(doc);
        const { decisions, statesBefore } = runTraceWithStates(policy, trace);
        trace.forEach(({ at, call }, step) => {
          const exhausted = decide(policy, exhaustedStateFor(doc, statesBefore[step]!, call, at), call, at);
          for (const decision of [decisions[step]!, exhausted]) {
            for (const [world, verdict] of enforcedVerdicts(doc, decision)) {
              const deniers = matchingRules(doc, world, call)
                .filter((rule) => rule.doc.action === "deny" || rule.doc.hide === true)
                .map((rule) => rule.id);
              if (deniers.length === 0) continue;
              expectSameAt(step, [verdict.outcome, verdict.basis], ["deny", "rule"], `${world} verdict`);
              expect(deniers, `${world} verdict's rule at step ${step}`).toContain(verdict.rule);
            }
          }
        });
      }),
      runs(),
    );
  });

  test("shuffling the order of the rules changes no decision", () => {
    fc.assert(
      fc.property(
        policyDocArb(),
        traceArb(),
        fc.array(fc.nat(), { minLength: RULE_KEYS.length, maxLength: RULE_KEYS.length }),
        (doc, trace, sortKeys) => {
          const original = runTrace(compileOk(doc), trace);
          const shuffled = runTrace(compileOk(withRulesReordered(doc, sortKeys)), trace);
          original.forEach((decision, step) => {
            expectSameAt(step, shuffled[step], decision, "decision with the rules reordered");
          });
        },
      ),
      runs(),
    );
  });

  test("adding duplicates of rules changes no decision", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        const original = runTrace(compileOk(doc), trace);
        // `k8s_**` matches exactly the tools `k8s_*` matches; the rule a decision names may be either.
        const sameTools = runTrace(compileOk(withGlobDuplicates(doc)), trace);
        // `srv1:t_read` matches a subset of `t_read`'s calls.
        const narrower = runTrace(compileOk(withServerQualifiedDuplicates(doc)), trace);
        original.forEach((decision, step) => {
          expectSameAt(
            step,
            outcomeAndBasis(sameTools[step]!),
            outcomeAndBasis(decision),
            "with glob duplicates",
          );
          expectSameAt(
            step,
            outcomeAndBasis(narrower[step]!),
            outcomeAndBasis(decision),
            "with server-qualified duplicates",
          );
        });
      }),
      runs(),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Limit safety

describe("3. limit safety", () => {
  test("sliding: for every counter key and time t, allowed calls in (t − W, t] ≤ max; fixed: ≤ max per calendar window", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        expectLimitsHeld(doc, trace, runTrace(compileOk(doc), trace));
      }),
      runs(),
    );
  });

  test("fixed windows: ≤ max per calendar window [kW, (k+1)W), ≤ 2 × max in any interval of length W", () => {
    fc.assert(
      fc.property(policyDocArb({ algorithm: "fixed" }), traceArb(), (doc, trace) => {
        expectLimitsHeld(doc, trace, runTrace(compileOk(doc), trace));
      }),
      runs(),
    );
  });

  test("when the clock steps back, the bound still holds in real time (≤ max sliding, ≤ 2 × max fixed)", () => {
    const clockStepBack = fc.constantFrom(0, 0, 0, 0, 1, 999, 2_500, 10_000, 60_000);
    fc.assert(
      fc.property(
        policyDocArb(),
        traceArb(),
        fc.array(clockStepBack, { maxLength: 90 }),
        (doc, trace, stepsBack) => {
          // The trace's times are real time; the gateway's clock lags them by an offset that only grows.
          let lag = 0;
          const stamped = trace.map(({ at, call }, i) => {
            lag += stepsBack[i] ?? 0;
            return { at: at - lag, call };
          });
          expectLimitsHeld(doc, trace, runTrace(compileOk(doc), stamped), { calendarWindows: false });
        },
      ),
      runs(),
    );
  });
});

/**
 * Checks invariant 3 for every counter key of every world, from the calls the engine allowed, at the
 * times in `trace`. Calendar windows are only checked when those times are the ones the engine saw.
 */
function expectLimitsHeld(
  doc: PolicyDoc,
  trace: Trace,
  decisions: Decision[],
  { calendarWindows } = { calendarWindows: true },
): void {
  const model = new ReferenceModel(doc);
  for (const world of ["live", "shadow"] as const) {
    const allowedByKey = new Map<string, { limit: ReferenceLimit; times: number[] }>();
    trace.forEach(({ at, call }, step) => {
      const verdict = world === "live" ? decisions[step]! : decisions[step]!.shadow;
      if (verdict?.outcome !== "allow") return;
      // Which keys an allowed call charges comes from the document, not from the engine's report.
      const plan = model.plan(world, call);
      expect(plan.refusal, `an allowed call the document refuses, step ${step}`).toBeUndefined();
      for (const limit of plan.refusal === undefined ? plan.limits : []) {
        const key = keyOf(limit.counter, subjectOf(limit.scope, call));
        const entry = allowedByKey.get(key) ?? { limit, times: [] };
        entry.times.push(at);
        allowedByKey.set(key, entry);
      }
    });
    for (const [key, { limit, times }] of allowedByKey) {
      expectKeyWithinLimit(`${world} ${key}`, limit, times, calendarWindows);
    }
  }
}

/** The busiest interval (t − W, t] ends at an allowed call, so checking those ends is enough. */
function expectKeyWithinLimit(key: string, limit: ReferenceLimit, times: number[], calendarWindows: boolean) {
  const bound = limit.algorithm === "sliding" ? limit.max : 2 * limit.max;
  for (const t of times) {
    const inInterval = times.filter((u) => t - limit.windowMs < u && u <= t).length;
    expect(inInterval, `${key}: allowed calls in (${t - limit.windowMs}, ${t}]`).toBeLessThanOrEqual(bound);
    if (limit.algorithm === "fixed" && calendarWindows) {
      const window = Math.floor(t / limit.windowMs);
      const inCalendarWindow = times.filter((u) => Math.floor(u / limit.windowMs) === window).length;
      expect(inCalendarWindow, `${key}: allowed calls in calendar window ${window}`).toBeLessThanOrEqual(
        limit.max,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 4. No starvation

describe("4. no starvation", () => {
  const singleLimitArb = fc.record({
    key: fc.constantFrom("k8s_pod_exec", "k8s_*", "*"),
    windowMs: fc.constantFrom(...WINDOWS_MS),
    max: fc.integer({ min: 1, max: 4 }),
    scope: fc.constantFrom<Scope>("grant", "session", "agent", "global"),
    algorithm: fc.constantFrom<"sliding" | "fixed">("sliding", "fixed"),
  });

  test("a key whose calls never exceed max in any window has all of them allowed, including one at exactly t + W", () => {
    const caseArb = singleLimitArb.chain((limit) =>
      fc.tuple(fc.constant(limit), traceArb({ tools: ["k8s_pod_exec"], windows: [limit.windowMs] })),
    );
    fc.assert(
      fc.property(caseArb, ([limit, traffic]) => {
        const { key, windowMs, max, scope, algorithm } = limit;
        const doc: PolicyDoc = {
          version: "1",
          tools: { [key]: { limits: [{ window: windowForms(windowMs)[0]!, max, scope, algorithm }] } },
        };
        // Non-object arguments are refused before any limit is consulted; this property is about limits.
        const trace = traffic.map(({ at, call }) => ({ at, call: { ...call, args: {} } }));
        const counted: ReferenceLimit = { id: "", counter: "", ...limit };
        const withinLimit = keepWithinLimits(trace, (call) => [
          { key: subjectOf(limit.scope, call), limit: counted },
        ]);
        expectNeverExceeds(withinLimit, counted);
        runTrace(compileOk(doc), withinLimit).forEach((decision, step) => {
          expectSameAt(step, decision.outcome, "allow", "outcome of a call within its limit");
        });
      }),
      runs(CHEAP_RUNS),
    );
  });

  test("over random policies: calls whose every counter key stays within max in every window are never rate limited", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, traffic) => {
        const model = new ReferenceModel(doc);
        const worlds: WorldName[] = model.hasShadowWorld ? ["live", "shadow"] : ["live"];
        const trace = keepWithinLimits(traffic, (call) =>
          worlds.flatMap((world) => {
            const plan = model.plan(world, call);
            if (plan.refusal !== undefined) return [];
            return plan.limits.map((limit) => ({
              key: `${world} ${keyOf(limit.counter, subjectOf(limit.scope, call))}`,
              limit,
            }));
          }),
        );
        runTrace(compileOk(doc), trace).forEach((decision, step) => {
          expect(decision.outcome, `live outcome at step ${step}`).not.toBe("rate_limited");
          expect(decision.shadow?.outcome, `shadow outcome at step ${step}`).not.toBe("rate_limited");
        });
      }),
      runs(),
    );
  });
});

interface Charge {
  key: string;
  limit: ReferenceLimit;
}

/**
 * Keeps, in order, the calls that fit: a call fits when every key it would be charged holds fewer
 * than max kept calls in its window. Kept calls are counted whether or not they end up allowed, so
 * the kept traffic never exceeds any limit, whatever the engine decides.
 */
function keepWithinLimits(trace: Trace, chargesOf: (call: Call) => Charge[]): Trace {
  const kept = new Map<string, number[]>();
  return trace.filter(({ at, call }) => {
    const charges = chargesOf(call);
    const fits = charges.every(({ key, limit }) => countInWindow(kept.get(key) ?? [], limit, at) < limit.max);
    if (fits) for (const { key } of charges) kept.set(key, [...(kept.get(key) ?? []), at]);
    return fits;
  });
}

/** The premise of invariant 4, checked directly on the trace it is applied to. */
function expectNeverExceeds(trace: Trace, limit: ReferenceLimit): void {
  const timesBySubject = new Map<string, number[]>();
  for (const { at, call } of trace) {
    const subject = subjectOf(limit.scope, call);
    timesBySubject.set(subject, [...(timesBySubject.get(subject) ?? []), at]);
  }
  for (const times of timesBySubject.values()) {
    for (const t of times) {
      const inWindow =
        limit.algorithm === "sliding"
          ? times.filter((u) => t - limit.windowMs < u && u <= t)
          : times.filter((u) => Math.floor(u / limit.windowMs) === Math.floor(t / limit.windowMs));
      expect(inWindow.length).toBeLessThanOrEqual(limit.max);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Key isolation

test("5. key isolation: with non-global limits, traffic of disjoint identities never changes a decision", () => {
  fc.assert(
    fc.property(
      policyDocArb({ withoutGlobalScope: true }),
      traceArb({ identities: IDENTITIES }),
      traceArb({ identities: OTHER_IDENTITIES }),
      fc.boolean(),
      (doc, ours, theirs, theirsFirstAtTies) => {
        const ourCalls = ours.map((timed) => ({ timed, ours: true }));
        const theirCalls = theirs.map((timed) => ({ timed, ours: false }));
        // A stable sort by time keeps each side's own order; the flag decides who goes first at ties.
        const merged = (theirsFirstAtTies ? [...theirCalls, ...ourCalls] : [...ourCalls, ...theirCalls]).sort(
          (a, b) => a.timed.at - b.timed.at,
        );
        const together = runTrace(
          compileOk(doc),
          merged.map(({ timed }) => timed),
        );
        for (const side of [true, false]) {
          const alone = runTrace(compileOk(doc), side ? ours : theirs);
          const inMerged = together.filter((_, i) => merged[i]!.ours === side);
          alone.forEach((decision, step) => {
            expectSameAt(step, inMerged[step], decision, `decision for ${side ? "our" : "their"} call`);
          });
        }
      },
    ),
    runs(),
  );
});

// ---------------------------------------------------------------------------------------------
// 6. Denied calls use no quota

test("6. denied calls use no quota: removing denied, rate-limited or held calls changes no other decision", () => {
  fc.assert(
    fc.property(
      policyDocArb(),
      traceArb(),
      fc.array(fc.boolean(), { maxLength: 90 }),
      (doc, trace, removeMask) => {
        const decisions = runTrace(compileOk(doc), trace);
        const removable = (i: number) => removeMask[i] ?? true;
        // A call refused live may still be allowed in the shadow world (and use shadow quota).
        const refusedEverywhere = (d: Decision) => d.outcome !== "allow" && d.shadow?.outcome !== "allow";
        const keptEverywhere = keptIndexes(trace, (i) => !(removable(i) && refusedEverywhere(decisions[i]!)));
        const afterEverywhere = runTrace(compileOk(doc), pick(trace, keptEverywhere));
        keptEverywhere.forEach((i, j) => {
          expectSameAt(i, afterEverywhere[j], decisions[i], "decision once refused calls are removed");
        });
        const keptLive = keptIndexes(trace, (i) => !(removable(i) && decisions[i]!.outcome !== "allow"));
        const afterLive = runTrace(compileOk(doc), pick(trace, keptLive));
        keptLive.forEach((i, j) => {
          expectSameAt(
            i,
            liveOnly(afterLive[j]!),
            liveOnly(decisions[i]!),
            "live verdict once live-refused calls are removed",
          );
        });
      },
    ),
    runs(),
  );
});

function keptIndexes(trace: Trace, keep: (i: number) => boolean): number[] {
  return trace.map((_, i) => i).filter(keep);
}

function pick(trace: Trace, indexes: number[]): Trace {
  return indexes.map((i) => trace[i]!);
}

// ---------------------------------------------------------------------------------------------
// 7. Determinism and replay fidelity

describe("7. determinism and replay fidelity", () => {
  test("decisions are reproduced by rerunning, by replaying a recompiled policy, from a cloned state, and with pruning", () => {
    fc.assert(
      fc.property(
        policyDocArb(),
        traceArb(),
        fc.nat(),
        fc.array(fc.boolean(), { maxLength: 90 }),
        (doc, trace, cutPick, pruneMask) => {
          const policy = compileOk(doc);
          const recorded = runTrace(policy, trace);
          expect(runTrace(policy, trace)).toEqual(recorded);
          // Replay reads the policy and the decisions back from their recorded JSON.
          const replayed = runTrace(compileOk(JSON.parse(JSON.stringify(doc))), trace);
          expect(replayed).toEqual(JSON.parse(JSON.stringify(recorded)));
          const cut = cutPick % (trace.length + 1);
          const state = initialState();
          runTrace(policy, trace.slice(0, cut), state);
          const whatIf = cloneState(state);
          expect(runTrace(policy, trace.slice(cut), whatIf)).toEqual(recorded.slice(cut));
          expect(runTrace(policy, trace.slice(cut), state)).toEqual(recorded.slice(cut));
          expect(runWithPruning(policy, trace, pruneMask)).toEqual(recorded);
        },
      ),
      runs(),
    );
  });

  test("decide is a pure function of (policy, state, call, now): a decision does not depend on the calls decided before it", () => {
    fc.assert(
      fc.property(policyDocArb(), traceArb(), (doc, trace) => {
        const { decisions, statesBefore } = runTraceWithStates(compileOk(doc), trace);
        // Another instance of the same policy sees the calls in the opposite order.
        const other = compileOk(doc);
        for (let step = trace.length - 1; step >= 0; step--) {
          const { at, call } = trace[step]!;
          const again = decide(other, statesBefore[step]!, call, at);
          expectSameAt(step, again, decisions[step], "decision of the same call in the same state");
        }
      }),
      runs(),
    );
  });
});

function runWithPruning(
  policy: ReturnType<typeof compileOk>,
  trace: Trace,
  pruneMask: boolean[],
): Decision[] {
  const state = initialState();
  return trace.map(({ at, call }, i) => {
    if (pruneMask[i] === true) pruneState(state, at);
    const decision = decide(policy, state, call, at);
    evolve(state, decision);
    return decision;
  });
}

// ---------------------------------------------------------------------------------------------
// 8. Rule monotonicity, per decision

/** Keys for added rules, besides the generated keys a policy leaves free; none is in RULE_KEYS. */
const EXTRA_RULE_KEYS = [
  "t_wr*",
  "srv2:*",
  "k8s_get_logs",
  "*_read",
  "unknown_tool",
  "*e*",
  "srv1:k8s_?et_*",
  "?*",
];

const addedDenyRuleArb = fc.constantFrom<ToolRuleDoc>(
  { action: "deny" },
  { action: "deny", reason: "added" },
  { hide: true },
  { action: "allow", hide: true },
);

/** A plain allow rule: no limits, no argument checks, no approval. */
const addedAllowRuleArb = fc.constantFrom<ToolRuleDoc>(
  {},
  { action: "allow" },
  { reason: "added" },
  { description: "added", mode: "enforce" },
);

test("8. monotonicity per decision: in the same limiter state, an added deny rule creates no allow and an added plain allow rule removes none", () => {
  fc.assert(
    fc.property(
      policyDocArb(),
      traceArb(),
      fc.tuple(fc.nat(), addedDenyRuleArb),
      fc.tuple(fc.nat(), addedAllowRuleArb),
      (doc, trace, [denyKeyPick, denyRule], [allowKeyPick, allowRule]) => {
        const withDeny = compileOk(withRule(doc, freeKey(doc, denyKeyPick), denyRule));
        const withAllow = compileOk(withRule(doc, freeKey(doc, allowKeyPick), allowRule));
        const { decisions, statesBefore } = runTraceWithStates(compileOk(doc), trace);
        trace.forEach(({ at, call }, step) => {
          const before = decisions[step]!;
          const afterDeny = decide(withDeny, statesBefore[step]!, call, at);
          const afterAllow = decide(withAllow, statesBefore[step]!, call, at);
          for (const world of ["live", "shadow"] as const) {
            const [was, denied, allowed] = [before, afterDeny, afterAllow].map((d) => verdictIn(d, world));
            if (denied?.outcome === "allow") {
              expectSameAt(step, was?.outcome, "allow", `${world}: allowed only after adding a deny rule`);
            }
            if (was?.outcome === "allow") {
              expectSameAt(step, allowed?.outcome, "allow", `${world}: after adding an allow rule`);
            }
          }
        });
      },
    ),
    runs(),
  );
});

function freeKey(doc: PolicyDoc, pick: number): string {
  const free = [...RULE_KEYS, ...EXTRA_RULE_KEYS].filter((key) => !Object.hasOwn(doc.tools ?? {}, key));
  return free[pick % free.length]!;
}

function withRule(doc: PolicyDoc, key: string, rule: ToolRuleDoc): PolicyDoc {
  return { ...doc, tools: { ...doc.tools, [key]: rule } };
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The verdicts that are enforced somewhere: live (unless the policy is in shadow mode) and shadow. */
function enforcedVerdicts(doc: PolicyDoc, decision: Decision): [WorldName, Verdict][] {
  const verdicts: [WorldName, Verdict][] = [];
  if (doc.mode !== "shadow") verdicts.push(["live", decision]);
  if (decision.shadow !== undefined) verdicts.push(["shadow", decision.shadow]);
  return verdicts;
}

function verdictIn(decision: Decision, world: WorldName): Verdict | undefined {
  return world === "live" ? decision : decision.shadow;
}

function isObjectOrAbsent(args: unknown): boolean {
  return args === undefined || (typeof args === "object" && args !== null && !Array.isArray(args));
}

function outcomeAndBasis(decision: Decision) {
  const pick = (v: Verdict | undefined) =>
    v === undefined ? undefined : { outcome: v.outcome, basis: v.basis };
  return { live: pick(decision), shadow: pick(decision.shadow) };
}

function liveOnly(decision: Decision): Omit<Decision, "shadow"> {
  const { shadow: _shadow, ...live } = decision;
  return live;
}

/** A state in which every counter the call would be charged, in either world, is full. */
function exhaustedStateFor(doc: PolicyDoc, state: DecisionState, call: Call, at: number): DecisionState {
  const full = cloneState(state);
  const countersIn = (world: WorldName) =>
    limitsOf(doc, matchingRules(doc, world, call)).map((limit) => ({
      counter: limit.counter,
      scope: limit.scope,
      subject: subjectOf(limit.scope, call),
      limit: limit.id,
      windowMs: limit.windowMs,
      max: limit.max,
      algorithm: limit.algorithm,
      used: 0,
    }));
  const live = countersIn("live");
  const shadow = countersIn("shadow");
  const reason = "fills every counter of the call";
  const charge: Decision = {
    outcome: "allow",
    rule: "default",
    basis: "default",
    reason,
    counters: live,
    at,
    shadow: { outcome: "allow", rule: "default", basis: "default", reason, counters: shadow },
  };
  const most = Math.max(0, ...[...live, ...shadow].map((counter) => counter.max));
  for (let i = 0; i < most; i++) evolve(full, charge);
  return full;
}

function withRulesReordered(doc: PolicyDoc, sortKeys: number[]): PolicyDoc {
  const entries = Object.entries(doc.tools ?? {})
    .map((entry, i) => ({ entry, sortKey: sortKeys[i] ?? 0 }))
    .sort((a, b) => a.sortKey - b.sortKey)
    .map(({ entry }) => entry);
  return { ...doc, tools: Object.fromEntries(entries) };
}

/** Adds, for every key with a `*`, the same rule under the key with its last `*` doubled. */
function withGlobDuplicates(doc: PolicyDoc): PolicyDoc {
  const tools = { ...doc.tools };
  for (const [key, rule] of Object.entries(doc.tools ?? {})) {
    const duplicate = key.replace(/\*(?!.*\*)/, "**");
    if (duplicate !== key && !Object.hasOwn(tools, duplicate)) tools[duplicate] = structuredClone(rule);
  }
  return { ...doc, tools };
}

/** Adds, for every unqualified key, the same rule qualified by server `srv1`. */
function withServerQualifiedDuplicates(doc: PolicyDoc): PolicyDoc {
  const tools = { ...doc.tools };
  for (const [key, rule] of Object.entries(doc.tools ?? {})) {
    const duplicate = `srv1:${key}`;
    if (!key.includes(":") && !Object.hasOwn(tools, duplicate)) tools[duplicate] = structuredClone(rule);
  }
  return { ...doc, tools };
}
