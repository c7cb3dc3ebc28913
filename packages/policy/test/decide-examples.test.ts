import { describe, expect, test } from "vitest";
import {
  type Call,
  type CompiledPolicy,
  compilePolicy,
  decide,
  evolve,
  initialState,
  pruneState,
} from "../src/index.js";

function policyOf(doc: unknown): CompiledPolicy {
  const result = compilePolicy(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.policy;
}

const ops = { agent: "claude-1", grant: "ops", session: "s1" };
const call = (tool: string, args: unknown = {}, extra: Partial<Call> = {}): Call => ({
  tool,
  args,
  identity: ops,
  ...extra,
});

/** Decides a sequence of (call, time) and returns the outcomes in order. */
function outcomes(policy: CompiledPolicy, steps: [Call, number][]): string[] {
  let state = initialState();
  return steps.map(([c, at]) => {
    const decision = decide(policy, state, c, at);
    state = evolve(state, decision);
    return decision.outcome;
  });
}

describe("the seed policy", () => {
  const seed = policyOf({
    version: "1",
    default: "deny",
    tools: {
      k8s_pod_exec: { limits: [{ counter: "k8s_pod_exec_rate", window: "minute", max: 10, scope: "grant" }] },
    },
  });

  test("allows 10 pod execs a minute per grant, rate-limits the 11th, and frees one a minute later", () => {
    const steps: [Call, number][] = Array.from({ length: 11 }, (_, i) => [call("k8s_pod_exec"), 1_000 + i]);
    steps.push([call("k8s_pod_exec"), 1_000 + 60_000 - 1]); // the first is still in (t−W, t]
    steps.push([call("k8s_pod_exec"), 1_000 + 60_000]); // exactly W after the first: it has left the window
    expect(outcomes(seed, steps)).toEqual([
      ...Array(10).fill("allow"),
      "rate_limited",
      "rate_limited",
      "allow",
    ]);
  });

  test("the rate-limited decision names the limit, the counter use and a readable reason", () => {
    let state = initialState();
    for (let i = 0; i < 10; i++) state = evolve(state, decide(seed, state, call("k8s_pod_exec"), i));
    const decision = decide(seed, state, call("k8s_pod_exec"), 10);
    expect(decision).toMatchObject({
      outcome: "rate_limited",
      rule: "tools.k8s_pod_exec.limits[0]",
      basis: "limit",
    });
    expect(decision.counters).toEqual([
      expect.objectContaining({
        counter: "k8s_pod_exec_rate",
        scope: "grant",
        subject: "ops",
        used: 10,
        max: 10,
      }),
    ]);
    expect(decision.reason).toBe(
      'rate limit "k8s_pod_exec_rate" allows 10 calls per minute per grant; grant "ops" has used 10 (tools.k8s_pod_exec.limits[0])',
    );
  });

  test("another grant has its own counter", () => {
    let state = initialState();
    for (let i = 0; i < 10; i++) state = evolve(state, decide(seed, state, call("k8s_pod_exec"), i));
    const other = decide(seed, state, { tool: "k8s_pod_exec", identity: { ...ops, grant: "dev" } }, 10);
    expect(other.outcome).toBe("allow");
  });

  test("everything else is denied by default, with the reason saying so", () => {
    const decision = decide(seed, initialState(), call("k8s_delete_ns"), 0);
    expect(decision).toMatchObject({ outcome: "deny", rule: "default", basis: "default" });
    expect(decision.reason).toContain("no rule names it and the policy's default is deny");
  });
});

describe("rules", () => {
  test("deny wins over a more specific allow, and names the deny rule", () => {
    const policy = policyOf({
      version: "1",
      tools: { k8s_delete_ns: {}, "k8s_delete_*": { action: "deny", reason: "agents never delete" } },
    });
    const decision = decide(policy, initialState(), call("k8s_delete_ns"), 0);
    expect(decision).toMatchObject({
      outcome: "deny",
      rule: 'tools["k8s_delete_*"]',
      reason: "agents never delete",
    });
  });

  test("server-qualified rules apply only to that server", () => {
    const policy = policyOf({ version: "1", tools: { "ocm:kube_executor": {} } });
    expect(decide(policy, initialState(), call("kube_executor", {}, { server: "ocm" }), 0).outcome).toBe(
      "allow",
    );
    expect(decide(policy, initialState(), call("kube_executor", {}, { server: "other" }), 0).outcome).toBe(
      "deny",
    );
    expect(decide(policy, initialState(), call("kube_executor"), 0).outcome).toBe("deny");
  });

  test("approve holds the call until a person approves it; approved calls are counted then", () => {
    const policy = policyOf({
      version: "1",
      tools: {
        k8s_scale: { action: "approve", approval: { timeout: "2m" }, limits: [{ window: "minute", max: 1 }] },
      },
    });
    let state = initialState();
    const held = decide(policy, state, call("k8s_scale"), 0);
    expect(held).toMatchObject({
      outcome: "approval_required",
      rule: "tools.k8s_scale",
      approvalTimeoutMs: 120_000,
    });
    state = evolve(state, held);
    const approved = decide(policy, state, call("k8s_scale", {}, { approval: "granted" }), 5_000);
    expect(approved.outcome).toBe("allow");
    state = evolve(state, approved);
    const again = decide(policy, state, call("k8s_scale", {}, { approval: "granted" }), 6_000);
    expect(again.outcome).toBe("rate_limited");
  });

  test("hidden tools are refused and reported as hidden", () => {
    const policy = policyOf({ version: "1", default: "allow", tools: { "internal_*": { hide: true } } });
    expect(policy.isHidden(undefined, "internal_debug")).toBe(true);
    expect(policy.isHidden(undefined, "k8s_get_pods")).toBe(false);
    expect(decide(policy, initialState(), call("internal_debug"), 0)).toMatchObject({
      outcome: "deny",
      rule: 'tools["internal_*"]',
    });
  });

  test("a fixed window allows up to 2×max across a calendar boundary; the sliding log does not", () => {
    const limit = (algorithm: string) =>
      policyOf({ version: "1", tools: { t: { limits: [{ window: 60, max: 2, algorithm }] } } });
    const steps: [Call, number][] = [59_000, 59_500, 60_000, 60_500].map((at) => [call("t"), at]);
    expect(outcomes(limit("fixed"), steps)).toEqual(["allow", "allow", "allow", "allow"]);
    expect(outcomes(limit("sliding"), steps)).toEqual(["allow", "allow", "rate_limited", "rate_limited"]);
  });

  test("shared counters are charged once per call, across the tools that name them", () => {
    const shared = { counter: "writes", window: "minute", max: 3, scope: "session" };
    const policy = policyOf({
      version: "1",
      tools: {
        k8s_scale: { limits: [shared] },
        "k8s_*": { limits: [shared] },
        k8s_label: { limits: [shared] },
      },
    });
    const steps: [Call, number][] = ["k8s_scale", "k8s_label", "k8s_scale", "k8s_label"].map((tool, i) => [
      call(tool),
      i,
    ]);
    expect(outcomes(policy, steps)).toEqual(["allow", "allow", "allow", "rate_limited"]);
  });
});

describe("arguments", () => {
  const policy = policyOf({
    version: "1",
    tools: {
      kube_executor: {
        args_schema: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
        deny_if: [
          { arg: "command", regex: "\\bdelete\\b", reason: "kubectl delete is not allowed" },
          { arg: "replicas", gt: 10 },
        ],
      },
    },
  });

  test.each([
    [{ command: "kubectl get pods" }, "allow", "tools.kube_executor"],
    [{ command: "kubectl delete pod x" }, "deny", "tools.kube_executor.deny_if[0]"],
    [{ command: "kubectl scale", replicas: 11 }, "deny", "tools.kube_executor.deny_if[1]"],
    [{ command: "kubectl scale", replicas: 10 }, "allow", "tools.kube_executor"],
    [{}, "deny", "tools.kube_executor.args_schema"],
    [["kubectl"], "deny", "arguments"],
    [null, "deny", "arguments"],
  ])("%j → %s by %s", (args, outcome, rule) => {
    expect(decide(policy, initialState(), call("kube_executor", args), 0)).toMatchObject({ outcome, rule });
  });

  test("a schema refusal explains what is wrong", () => {
    const decision = decide(policy, initialState(), call("kube_executor", { command: 5 }), 0);
    expect(decision.reason).toBe(
      "arguments do not match tools.kube_executor.args_schema: args/command must be string",
    );
  });
});

describe("shadow", () => {
  test("a shadow rule is recorded, not enforced", () => {
    const policy = policyOf({
      version: "1",
      tools: { k8s_pod_exec: {}, k8s_get_pods: { action: "deny", mode: "shadow" } },
    });
    const decision = decide(policy, initialState(), call("k8s_get_pods"), 0);
    expect(decision.outcome).toBe("deny"); // unlisted once the shadow rule is left out: default deny
    const exec = decide(policy, initialState(), call("k8s_pod_exec"), 0);
    expect(exec.outcome).toBe("allow");
    expect(exec.shadow?.outcome).toBe("allow");
  });

  test("a shadow-mode policy enforces nothing and records what it would have done", () => {
    const policy = policyOf({
      version: "1",
      mode: "shadow",
      tools: { t: { limits: [{ window: "minute", max: 1 }] } },
    });
    let state = initialState();
    const first = decide(policy, state, call("t"), 0);
    state = evolve(state, first);
    const second = decide(policy, state, call("t"), 1);
    const unknown = decide(policy, state, call("rm_rf"), 2);
    expect([first.outcome, second.outcome, unknown.outcome]).toEqual(["allow", "allow", "allow"]);
    expect([first.shadow?.outcome, second.shadow?.outcome, unknown.shadow?.outcome]).toEqual([
      "allow",
      "rate_limited",
      "deny",
    ]);
    expect(second.basis).toBe("shadow_mode");
  });
});

test("pruning forgets counters whose window has passed, and nothing else", () => {
  const policy = policyOf({
    version: "1",
    tools: { t: { limits: [{ window: "minute", max: 2, scope: "grant" }] } },
  });
  let state = initialState();
  state = evolve(state, decide(policy, state, call("t"), 0));
  state = evolve(state, decide(policy, state, { tool: "t", identity: { ...ops, grant: "late" } }, 50_000));
  pruneState(state, 60_000);
  const subjects = [...(state.live.values().next().value?.keys() ?? [])];
  expect(subjects).toEqual(["late"]);
});
