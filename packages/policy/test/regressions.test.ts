/**
 * Regressions: the shrunk, readable forms of disagreements the property suite found between the
 * engine and docs/POLICY.md, each fixed in the engine. Each test states what the document says.
 */
import { describe, expect, test } from "vitest";
import { compilePolicy, decide, initialState } from "../src/index.js";
import { compileOk } from "./harness.js";

const agent = { agent: "agent_a", grant: "grant_x", session: "session_1" };

describe("the engine does what docs/POLICY.md says", () => {
  test('"A policy with mode: shadow enforces nothing (every call is allowed, basis shadow_mode)": also with non-object arguments', () => {
    const policy = compileOk({ version: "1", mode: "shadow" });
    const decision = decide(policy, initialState(), { tool: "t_read", args: null, identity: agent }, 0);
    expect({ outcome: decision.outcome, basis: decision.basis }).toEqual({
      outcome: "allow",
      basis: "shadow_mode",
    });
  });

  test("deny always wins: a server-qualified deny rule holds whatever was decided before (no plan-cache collision)", () => {
    // Tool "srv1:t_write" called without a server, and tool "t_write" on server "srv1", are different
    // calls: the rule `srv1:t_write` matches only the second. The first must not change the second.
    const doc = { version: "1", default: "allow", tools: { "srv1:t_write": { action: "deny" } } };
    const qualified = { server: "srv1", tool: "t_write", identity: agent };
    const unqualified = { tool: "srv1:t_write", identity: agent };
    const fresh = compileOk(doc);
    expect(decide(fresh, initialState(), qualified, 0).outcome).toBe("deny");
    const warmed = compileOk(doc);
    expect(decide(warmed, initialState(), unqualified, 0).outcome).toBe("allow");
    expect(decide(warmed, initialState(), qualified, 0).outcome).toBe("deny");
  });

  describe('args_schema is "a JSON Schema (draft 7 / 2019 / 2020 keywords, with formats)"', () => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ["dependentRequired (2019-09)", { dependentRequired: { a: ["b"] } }, { a: 1 }],
      [
        "unevaluatedProperties (2019-09)",
        { properties: { a: {} }, unevaluatedProperties: false },
        { a: 1, z: 2 },
      ],
      [
        "minContains (2019-09)",
        { properties: { list: { contains: { type: "string" }, minContains: 2 } } },
        { list: ["x", 1] },
      ],
      [
        "prefixItems (2020-12)",
        { properties: { list: { prefixItems: [{ type: "string" }] } } },
        { list: [1] },
      ],
    ];
    test.each(cases)("%s is enforced", (_keyword, schema, args) => {
      const policy = compileOk({ version: "1", tools: { t: { args_schema: schema } } });
      const decision = decide(policy, initialState(), { tool: "t", args, identity: agent }, 0);
      expect([decision.outcome, decision.rule]).toEqual(["deny", "tools.t.args_schema"]);
    });

    test("a schema declaring $schema 2020-12 loads", () => {
      const schema = { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" };
      const result = compilePolicy({ version: "1", tools: { t: { args_schema: schema } } });
      expect(result.ok ? [] : result.problems.map((problem) => problem.message)).toEqual([]);
    });
  });
});
