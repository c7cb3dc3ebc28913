/**
 * Invariant 8 of docs/POLICY.md holds per decision, and the document says plainly that it does not
 * hold over a whole trace when counters are shared, nor in limit parameters. These examples pin
 * that claim: each shows a change the replay report must label a cascade, not a regression.
 */
import { describe, expect, test } from "vitest";
import { decide, initialState, type PolicyDoc } from "../src/index.js";
import type { Trace } from "./arbitraries.js";
import { compileOk, runTrace } from "./harness.js";

const agent = { agent: "agent_a", grant: "grant_x", session: "session_1" };
const T0 = 1_700_000_000_000;

function outcomes(doc: PolicyDoc, trace: Trace): string[] {
  return runTrace(compileOk(doc), trace).map((decision) => `${decision.outcome} ${decision.rule}`);
}

describe("known non-monotonic cascades over a trace", () => {
  test("adding a deny rule frees a shared counter's quota: a later rate_limited call becomes allowed", () => {
    const reads = { counter: "reads", window: 10, max: 1, scope: "global" as const };
    const before: PolicyDoc = {
      version: "1",
      tools: { t_read: { limits: [reads] }, t_write: { limits: [reads] } },
    };
    const after: PolicyDoc = { ...before, tools: { ...before.tools, "t_?ead": { action: "deny" } } };
    const trace: Trace = [
      { at: T0, call: { tool: "t_read", identity: agent } },
      { at: T0 + 1, call: { tool: "t_write", identity: agent } },
    ];
    expect(outcomes(before, trace)).toEqual(["allow tools.t_read", "rate_limited tools.t_write.limits[0]"]);
    expect(outcomes(after, trace)).toEqual(['deny tools["t_?ead"]', "allow tools.t_write"]);
    // Per decision nothing changed: in the state `before` reached, `after` still rate-limits the call.
    const state = initialState();
    runTrace(compileOk(before), trace.slice(0, 1), state);
    const { at, call } = trace[1]!;
    expect(decide(compileOk(after), state, call, at).outcome).toBe("rate_limited");
  });

  test("adding a plain allow rule uses all_tools quota: a later allowed call becomes rate_limited", () => {
    const before: PolicyDoc = {
      version: "1",
      default: "deny",
      all_tools: { limits: [{ window: 10, max: 1, scope: "global" }] },
      tools: { t_write: {} },
    };
    const after: PolicyDoc = { ...before, tools: { ...before.tools, t_read: {} } };
    const trace: Trace = [
      { at: T0, call: { tool: "t_read", identity: agent } },
      { at: T0 + 1, call: { tool: "t_write", identity: agent } },
    ];
    expect(outcomes(before, trace)).toEqual(["deny default", "allow tools.t_write"]);
    expect(outcomes(after, trace)).toEqual(["allow tools.t_read", "rate_limited all_tools.limits[0]"]);
  });

  test("raising a limit lets an earlier call through, whose all_tools quota a later call then lacks", () => {
    const withMax = (max: number): PolicyDoc => ({
      version: "1",
      all_tools: { limits: [{ window: 10, max: 2, scope: "global" }] },
      tools: { t_read: { limits: [{ window: 10, max }] }, t_write: {} },
    });
    const trace: Trace = [
      { at: T0, call: { tool: "t_read", identity: agent } },
      { at: T0 + 1, call: { tool: "t_read", identity: agent } },
      { at: T0 + 2, call: { tool: "t_write", identity: agent } },
    ];
    expect(outcomes(withMax(1), trace)).toEqual([
      "allow tools.t_read",
      "rate_limited tools.t_read.limits[0]",
      "allow tools.t_write",
    ]);
    expect(outcomes(withMax(2), trace)).toEqual([
      "allow tools.t_read",
      "allow tools.t_read",
      "rate_limited all_tools.limits[0]",
    ]);
  });
});
