/**
 * Decider throughput and limiter memory.
 * - the 57-tool Kubernetes policy (limits on the risky tools, deny_if on exec, approve on scale);
 * - a 500-rule policy (250 exact names, 250 globs) over 5,000 distinct tool names;
 * - limiter state memory per 10,000 counter keys, sliding log vs fixed window.
 * One core: the loop is single-threaded.
 */
import { readFileSync } from "node:fs";
import {
  type Call,
  type CompiledPolicy,
  compilePolicy,
  counterKeys,
  decide,
  evolve,
  initialState,
  type PolicyDoc,
} from "@tollgate/policy";
import { seededRandom } from "@tollgate/replay";

const K8S_TOOLS = JSON.parse(
  readFileSync(
    new URL("../packages/upstreams/data/k8s-multicluster-mcp.tools.json", import.meta.url),
    "utf8",
  ),
) as { tools: { name: string }[] };

export interface Figure {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

function compiled(doc: unknown): CompiledPolicy {
  const result = compilePolicy(doc);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.policy;
}

export function k8sPolicyDoc(algorithm: "sliding" | "fixed" = "sliding"): PolicyDoc {
  const tools: PolicyDoc["tools"] = { "k8s_get_*": {}, "k8s_describe_*": {} };
  for (const { name } of K8S_TOOLS.tools) {
    if (name.startsWith("k8s_delete")) tools[name] = { action: "deny", reason: "no deletes" };
    else if (name === "k8s_pod_exec")
      tools[name] = {
        limits: [{ counter: "exec", window: "minute", max: 10, scope: "grant", algorithm }],
        deny_if: [{ arg: "command", regex: "\\b(rm|shutdown)\\b", reason: "destructive" }],
      };
    else if (name === "k8s_scale") tools[name] = { action: "approve" };
    else if (/rollout|cordon|drain|apply|patch|create|label|annotate/.test(name))
      tools[name] = {
        limits: [{ counter: `${name}_rate`, window: "minute", max: 10, scope: "grant", algorithm }],
      };
  }
  return { version: "1", default: "deny", tools };
}

function k8sTraffic(count: number): Call[] {
  const random = seededRandom(42);
  const names = K8S_TOOLS.tools.map((t) => t.name);
  return Array.from({ length: count }, () => {
    const grant = `grant-${Math.floor(random() * 50)}`;
    const tool = random() < 0.6 ? "k8s_get_pods" : names[Math.floor(random() * names.length)]!;
    const args =
      tool === "k8s_pod_exec"
        ? { context: "prod", command: random() < 0.1 ? "rm -rf /" : "ls" }
        : { context: "prod" };
    return {
      tool,
      args,
      identity: { agent: `agent-${grant}`, grant, session: `${grant}-s${Math.floor(random() * 3)}` },
    };
  });
}

function largePolicyDoc(): PolicyDoc {
  const tools: PolicyDoc["tools"] = {};
  for (let i = 0; i < 250; i++) tools[`svc${i}_read_item`] = {};
  for (let i = 0; i < 250; i++) {
    tools[`svc${i}_write_*`] =
      i % 5 === 0
        ? { action: "deny" }
        : { limits: [{ counter: `svc${i}_writes`, window: "minute", max: 100, scope: "session" }] };
  }
  return {
    version: "1",
    default: "deny",
    tools,
    all_tools: { limits: [{ counter: "all", window: "second", max: 1000, scope: "global" }] },
  };
}

function largeTraffic(count: number): Call[] {
  const random = seededRandom(7);
  return Array.from({ length: count }, () => {
    const service = Math.floor(random() * 250);
    const kind = random();
    const tool =
      kind < 0.45
        ? `svc${service}_read_item`
        : kind < 0.9
          ? `svc${service}_write_${Math.floor(random() * 19)}`
          : `unknown_${service}`;
    const session = `s${Math.floor(random() * 200)}`;
    return { tool, args: {}, identity: { agent: "a", grant: "g", session } };
  });
}

/** decide + evolve over the traffic, repeated for at least `seconds`; time advances 1 ms per call. */
function decisionsPerSecond(policy: CompiledPolicy, calls: Call[], seconds = 2): number {
  let state = initialState();
  let now = Date.UTC(2026, 0, 1);
  let decided = 0;
  const started = process.hrtime.bigint();
  const budget = BigInt(seconds * 1e9);
  while (process.hrtime.bigint() - started < budget) {
    for (const call of calls) {
      const decision = decide(policy, state, call, now);
      state = evolve(state, decision);
      now += 1;
    }
    decided += calls.length;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return decided / elapsed;
}

/** Full collections until the heap stops shrinking, so earlier garbage is not counted. */
function settle(gc: () => void): void {
  for (let i = 0; i < 5; i++) gc();
}

/** Heap held by limiter state with `keys` counter keys, each holding `max` allowed calls. */
function limiterBytesPerKeys(algorithm: "sliding" | "fixed", keys: number, max: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run the benchmark with node --expose-gc (npm run bench does)");
  const policy = compiled({
    version: "1",
    tools: { t: { limits: [{ counter: "c", window: "hour", max, scope: "grant", algorithm }] } },
  });
  // Sliding logs keep their times in typed arrays, whose storage is off the JS heap: count both.
  const held = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  settle(gc);
  const before = held();
  let state = initialState();
  let now = Date.UTC(2026, 0, 1);
  for (let k = 0; k < keys; k++) {
    const call: Call = { tool: "t", identity: { agent: "a", grant: `grant-${k}`, session: "s" } };
    for (let i = 0; i < max; i++) state = evolve(state, decide(policy, state, call, now++));
  }
  settle(gc);
  const after = held();
  const found = counterKeys(state.live);
  if (found !== keys) throw new Error(`expected ${keys} keys, found ${found}`);
  return after - before;
}

/** How the traffic was decided: proof that the benchmark exercises limits, denials and allows. */
function outcomeMix(policy: CompiledPolicy, calls: Call[]): string {
  const counts = new Map<string, number>();
  let state = initialState();
  let now = Date.UTC(2026, 0, 1);
  for (const call of calls) {
    const decision = decide(policy, state, call, now++);
    state = evolve(state, decision);
    counts.set(decision.outcome, (counts.get(decision.outcome) ?? 0) + 1);
  }
  return [...counts].map(([outcome, n]) => `${outcome} ${((100 * n) / calls.length).toFixed(1)}%`).join(", ");
}

export function runPolicyBench(): Figure[] {
  // Memory first, on a quiet heap; throughput after.
  const memory: Figure[] = [
    {
      name: "limiter memory per 10k keys, sliding, max 10",
      value: limiterBytesPerKeys("sliding", 10_000, 10),
      unit: "B",
    },
    {
      name: "limiter memory per 10k keys, sliding, max 100",
      value: limiterBytesPerKeys("sliding", 10_000, 100),
      unit: "B",
    },
    {
      name: "limiter memory per 10k keys, fixed window",
      value: limiterBytesPerKeys("fixed", 10_000, 10),
      unit: "B",
    },
  ];
  const k8s = compiled(k8sPolicyDoc());
  const k8sFixed = compiled(k8sPolicyDoc("fixed"));
  const k8sCalls = k8sTraffic(100_000);
  const large = compiled(largePolicyDoc());
  const largeCalls = largeTraffic(100_000);
  decisionsPerSecond(k8s, k8sCalls, 0.5); // warm up the JIT
  return [
    {
      name: "decisions/s, 57-tool k8s policy (sliding log)",
      value: decisionsPerSecond(k8s, k8sCalls),
      unit: "/s",
      note: `goal ≥ 2,000,000; ${outcomeMix(k8s, k8sCalls)}`,
    },
    {
      name: "decisions/s, 57-tool k8s policy (fixed window)",
      value: decisionsPerSecond(k8sFixed, k8sCalls),
      unit: "/s",
    },
    {
      name: "decisions/s, 500-rule policy, 5,000 tool names",
      value: decisionsPerSecond(large, largeCalls),
      unit: "/s",
      note: outcomeMix(large, largeCalls),
    },
    ...memory,
  ];
}
