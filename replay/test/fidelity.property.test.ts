/**
 * Replay fidelity: for any policy and any recorded trace, replaying the live policy reproduces every
 * live decision, whatever the window (the warm-up rebuilds the counters), approvals and reloads
 * included, however often replay prunes counters past their windows; and replaying it as the
 * candidate changes nothing.
 *
 * The policies and traffic come from the policy package's generators (its test arbitraries): the
 * same ones its invariants are proven on, so replay is checked on the engine's whole surface.
 */

import { type CompiledPolicy, compilePolicy } from "@tollgate/policy";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { policyDocArb, traceArb } from "../../packages/policy/test/arbitraries.js";
import { NUM_RUNS, SEED } from "../../packages/policy/test/harness.js";
import { LiveGateway } from "./support/live.js";
import { replayInMemory } from "./support/replay.js";

function compiled(doc: unknown): CompiledPolicy {
  const result = compilePolicy(doc);
  if (!result.ok) throw new Error(`generated policy is invalid: ${JSON.stringify(result.problems)}`);
  return result.policy;
}

const recordingArb = fc.record({
  doc: policyDocArb(),
  trace: traceArb(),
  /** Which held calls a person approves. */
  approvals: fc.array(fc.boolean(), { minLength: 40, maxLength: 40 }),
  /** Where the window starts, as a fraction of the trace. */
  windowStart: fc.double({ min: 0, max: 1, noNaN: true }),
  instances: fc.constantFrom(1, 2),
  /** How often replay prunes counters past their windows: never in a short trace, or every few calls. */
  pruneEvery: fc.constantFrom(1, 3, 100_000),
});

describe("replay fidelity", () => {
  it("replaying the live policy reproduces every live decision and changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(
        recordingArb,
        async ({ doc, trace, approvals, windowStart, instances, pruneEvery }) => {
          const policy = compiled(doc);
          const gateways = Array.from(
            { length: instances },
            (_, index) => new LiveGateway(policy, `gw-${index}`),
          );
          trace.forEach(({ at, call }, index) => {
            const { approval: _ignored, ...asSent } = call;
            const gateway = gateways[index % instances] as LiveGateway;
            gateway.handle(
              {
                at,
                call: { ...asSent, server: call.server ?? "srv1" },
                approve: approvals[index % approvals.length],
              },
              `call-${index}`,
            );
          });
          const recorded = gateways.flatMap((gateway) => gateway.recorded).sort((a, b) => a.at - b.at);
          const first = trace[0]?.at ?? 0;
          const last = trace[trace.length - 1]?.at ?? 0;
          const window = { from: Math.floor(first + windowStart * (last - first)), to: last + 1 };
          const report = await replayInMemory(recorded, {
            candidate: policy,
            baselines: [policy],
            window,
            pruneEvery,
          });
          expect(report.selfCheck.mismatches, JSON.stringify(report.selfCheck.examples[0])).toBe(0);
          const inWindow = recorded.filter((call) => call.at >= window.from);
          expect(report.selfCheck.checked).toBe(inWindow.length);
          expect(report.coverage.calls).toBe(inWindow.filter((call) => !call.approved).length);
          expect(report.summary.changed).toBe(0);
        },
      ),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  });
});
