import { describe, expect, test } from "vitest";
import { type PolicyProblem, parsePolicy } from "../src/index.js";

function problemsOf(text: string, file = "policy.yaml"): PolicyProblem[] {
  const result = parsePolicy(text, { file });
  if (result.ok) throw new Error("expected the policy to be rejected");
  return result.problems;
}

const lineOf = (problems: PolicyProblem[], path: string) => problems.find((p) => p.path === path);

describe("loading policies", () => {
  test("YAML and JSON forms of the same policy have the same digest", () => {
    const json = parsePolicy('{"version":"1","tools":{"a":{"action":"deny","reason":"no"}}}', {
      file: "p.json",
    });
    const yaml = parsePolicy("version: '1'\ntools:\n  a:\n    reason: no\n    action: deny\n", {
      file: "p.yaml",
    });
    expect(json.ok && yaml.ok).toBe(true);
    if (json.ok && yaml.ok) expect(json.policy.digest).toBe(yaml.policy.digest);
  });

  test("every schema problem is listed, each with its line and path", () => {
    const problems = problemsOf(
      [
        "version: '1'",
        "default: denied",
        "tools:",
        "  k8s_pod_exec:",
        "    action: block",
        "    limits:",
        "      - {window: minute, max: 10, scope: team}",
      ].join("\n"),
    );
    expect(lineOf(problems, "default")).toMatchObject({
      line: 2,
      message: 'expected one of "deny", "allow"',
    });
    expect(lineOf(problems, "tools.k8s_pod_exec.action")).toMatchObject({ line: 5 });
    expect(lineOf(problems, "tools.k8s_pod_exec.limits[0].scope")).toMatchObject({ line: 7 });
    expect(problems).toHaveLength(3);
  });

  test("duplicate keys are errors, not silently collapsed", () => {
    const problems = problemsOf('{"version": "1", "tools": {"a": {}, "a": {"action": "deny"}}}', "p.json");
    expect(problems[0]?.message).toMatch(/unique/i);
  });

  test("counters shared with different settings are reported with both locations", () => {
    const problems = problemsOf(
      [
        "version: '1'",
        "tools:",
        "  a: {limits: [{counter: shared, window: minute, max: 5}]}",
        "  b: {limits: [{counter: shared, window: hour, max: 5}]}",
      ].join("\n"),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: "tools.b.limits[0]", line: 4 });
    expect(problems[0]?.message).toContain(
      'counter "shared" is declared as 5 per hour per session (sliding) here',
    );
    expect(problems[0]?.message).toContain("but as 5 per minute per session (sliding) at tools.a.limits[0]");
  });

  test("an args_schema that is not a JSON Schema is reported", () => {
    const problems = problemsOf("version: '1'\ntools:\n  a:\n    args_schema: {type: objekt}\n");
    expect(problems[0]).toMatchObject({ path: "tools.a.args_schema", line: 4 });
    expect(problems[0]?.message).toContain("not a valid JSON Schema");
  });

  test("malformed tool keys and invariants are explained", () => {
    const problems = problemsOf("version: '1'\ntools:\n  'ocm:': {}\ninvariants:\n  - {never_deny: x}\n");
    expect(problems.map((p) => p.message)).toEqual([
      "none of the accepted forms fits; write one of: default_deny, never_allow, limit, always_allow",
    ]);
    const keys = problemsOf("version: '1'\ntools:\n  'ocm:': {}\n");
    expect(keys[0]?.message).toBe('"ocm:" needs both a server and a tool around ":"');
  });

  test("a missing version is required", () => {
    expect(problemsOf("tools: {}\n")[0]).toMatchObject({ path: "version", message: '"version" is required' });
  });
});
