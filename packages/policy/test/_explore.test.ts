import fc from "fast-check";
import { test } from "vitest";
import { decide, evolve, initialState } from "../src/index.js";
import { policyDocArb, traceArb } from "./arbitraries.js";
import { compileOk, comparable, expectSameAt } from "./harness.js";
import { ReferenceModel } from "./reference-model.js";

test("explore", () => {
  fc.assert(
    fc.property(policyDocArb(), traceArb(), (doc, trace0) => {
      const isObj = (a: unknown) => a === undefined || (typeof a === "object" && a !== null && !Array.isArray(a));
      const trace = trace0.filter(({ call }) => !(doc.mode === "shadow" && !isObj(call.args)) && call.tool !== "srv1:t_write");
      const policy = compileOk(doc);
      const reference = new ReferenceModel(doc);
      const state = initialState();
      trace.forEach(({ at, call }, step) => {
        const decision = decide(policy, state, call, at);
        evolve(state, decision);
        const { shadow, ...expected } = reference.decide(call, at);
        expectSameAt(step, comparable(decision), expected, "live verdict");
        expectSameAt(step, decision.shadow === undefined ? undefined : comparable(decision.shadow), shadow, "shadow verdict");
      });
    }),
    { numRuns: Number(process.env.N ?? 20000), seed: Number(process.env.S ?? 1) },
  );
});
