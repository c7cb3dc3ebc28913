import type { CompiledPolicy } from "@tollgate/policy";
import { describe, expect, it } from "vitest";
import { CATEGORIES, type Category, type ReplayFilter, type ReplayReport } from "../src/index.js";
import { LiveGateway } from "./support/live.js";
import { policyOf, replayInMemory } from "./support/replay.js";

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const identity = { agent: "sre-bot", grant: "oncall", session: "s-1" };

const LIVE = {
  version: "1",
  name: "live",
  default: "deny",
  tools: {
    read_logs: {},
    pod_exec: {
      limits: [{ counter: "exec", window: "minute", max: 3, scope: "grant" }],
      deny_if: [{ arg: "command", regex: "\\brm\\b", reason: "no rm" }],
    },
    scale: { action: "approve" },
    "delete_*": { action: "deny", reason: "never delete" },
  },
};

function withTools(tools: Record<string, unknown>, name = "candidate") {
  return policyOf({ ...LIVE, name, tools: { ...LIVE.tools, ...tools } });
}

function cell(report: ReplayReport, before: Category, after: Category): number {
  return report.matrix[CATEGORIES.indexOf(before)]?.[CATEGORIES.indexOf(after)] ?? 0;
}

/** Five execs in one minute (3 allowed, 2 limited), a read, a delete, an unknown tool, a held scale. */
function recordedMinute(live = policyOf(LIVE)) {
  const gateway = new LiveGateway(live);
  for (let i = 0; i < 5; i += 1) {
    gateway.handle({
      at: T0 + i * 1000,
      call: { server: "k8s", tool: "pod_exec", args: { command: "ls" }, identity },
    });
  }
  gateway.handle({ at: T0 + 6000, call: { server: "k8s", tool: "read_logs", args: {}, identity } });
  gateway.handle({ at: T0 + 7000, call: { server: "k8s", tool: "delete_pod", args: {}, identity } });
  gateway.handle({ at: T0 + 8000, call: { server: "k8s", tool: "drain_node", args: {}, identity } });
  gateway.handle({
    at: T0 + 9000,
    call: { server: "k8s", tool: "scale", args: {}, identity },
    approve: true,
  });
  return gateway.recorded;
}

const WINDOW = { from: T0, to: T0 + 60_000 };

/** The recorded minute replayed with `candidate`, the live policy as the baseline. */
function replayMinute(candidate: CompiledPolicy, filter?: ReplayFilter): Promise<ReplayReport> {
  const live = policyOf(LIVE);
  return replayInMemory(recordedMinute(live), {
    candidate,
    baselines: [live],
    window: WINDOW,
    ...(filter === undefined ? {} : { filter }),
  });
}

describe("replaying the live policy", () => {
  it("reproduces every recorded decision, approvals included, and changes nothing", async () => {
    const live = policyOf(LIVE);
    const report = await replayInMemory(recordedMinute(live), {
      candidate: live,
      baselines: [live],
      window: WINDOW,
    });
    expect(report.selfCheck).toMatchObject({ checked: 10, mismatches: 0 });
    expect(report.coverage).toMatchObject({ calls: 9, replayed: 9, approvals: 1, unverified: [] });
    expect(report.summary).toEqual({ calls: 9, changed: 0, newlyAllowed: 0, newlyBlocked: 0, cascades: 0 });
    expect(cell(report, "allow", "allow")).toBe(4);
    expect(cell(report, "rate_limited", "rate_limited")).toBe(2);
    expect(cell(report, "approval_required", "approval_required")).toBe(1);
  });

  it("reports a recording the baseline does not reproduce as mismatches, with examples", async () => {
    const live = policyOf(LIVE);
    const recorded = recordedMinute(live);
    // Tamper with the recording: claim the delete call was allowed.
    const deleteCall = recorded.find((call) => call.tool === "delete_pod");
    if (deleteCall === undefined) throw new Error("fixture lost its delete call");
    deleteCall.recorded = { outcome: "allow", rule: 'tools["delete_*"]', basis: "rule" };
    const report = await replayInMemory(recorded, { candidate: live, baselines: [live], window: WINDOW });
    expect(report.selfCheck.mismatches).toBe(1);
    expect(report.selfCheck.examples[0]).toMatchObject({
      tool: "delete_pod",
      recorded: { outcome: "allow" },
      replayed: { outcome: "deny", rule: 'tools["delete_*"]', reason: "never delete" },
    });
  });

  it("counts calls recorded under a policy it was not given as unverified", async () => {
    const live = policyOf(LIVE);
    const other = withTools({}, "other");
    const report = await replayInMemory(recordedMinute(live), {
      candidate: other,
      baselines: [],
      window: WINDOW,
    });
    expect(report.coverage.unverified).toEqual([{ digest: live.digest, name: undefined, calls: 9 }]);
    expect(report.selfCheck.checked).toBe(0);
  });
});

describe("replaying candidates with a known effect", () => {
  it("a tightened limit newly blocks exactly the calls past the new maximum", async () => {
    const candidate = withTools({
      pod_exec: { limits: [{ counter: "exec", window: "minute", max: 2, scope: "grant" }] },
    });
    const report = await replayMinute(candidate);
    expect(report.selfCheck.mismatches).toBe(0);
    expect(report.summary).toMatchObject({ changed: 1, newlyBlocked: 1, newlyAllowed: 0, cascades: 0 });
    expect(cell(report, "allow", "rate_limited")).toBe(1);
    const [transition] = report.transitions;
    expect(transition?.examples[0]).toMatchObject({
      tool: "pod_exec",
      seq: 2,
      before: { outcome: "allow" },
      after: { outcome: "rate_limited", rule: "tools.pod_exec.limits[0]" },
    });
  });

  it("a loosened limit newly allows the limited calls", async () => {
    const candidate = withTools({
      pod_exec: { limits: [{ counter: "exec", window: "minute", max: 10, scope: "grant" }] },
    });
    const report = await replayMinute(candidate);
    expect(report.summary).toMatchObject({ changed: 2, newlyAllowed: 2, newlyBlocked: 0 });
    expect(report.attribution.tools).toEqual([
      { key: "pod_exec", calls: 2, newlyAllowed: 2, newlyBlocked: 0, cascades: 0, sessions: 1 },
    ]);
    expect(report.attribution.rules[0]?.key).toBe("tools.pod_exec.limits[0] → tools.pod_exec");
  });

  it("a new deny rule and a loosened default move calls between the right cells", async () => {
    const candidate = policyOf({
      ...LIVE,
      name: "candidate",
      default: "allow",
      tools: { ...LIVE.tools, read_logs: { action: "deny", reason: "logs hold secrets" } },
    });
    const report = await replayMinute(candidate);
    expect(cell(report, "allow", "deny_rule")).toBe(1);
    expect(cell(report, "deny_default", "allow")).toBe(1);
    expect(report.summary).toMatchObject({ changed: 2, newlyAllowed: 1, newlyBlocked: 1 });
  });

  it("calls that changed only because earlier calls changed are cascades", async () => {
    // pod_exec and read_logs share one counter of 3; the candidate denies pod_exec outright, so
    // the read_logs calls that the counter used to limit now go through: a cascade.
    const shared = (tools: Record<string, unknown>, name: string) =>
      policyOf({ version: "1", name, default: "deny", tools });
    const limit = [{ counter: "shared", window: "minute", max: 3, scope: "grant" }];
    const live = shared({ pod_exec: { limits: limit }, read_logs: { limits: limit } }, "live");
    const candidate = shared({ pod_exec: { action: "deny" }, read_logs: { limits: limit } }, "candidate");
    const gateway = new LiveGateway(live);
    for (let i = 0; i < 3; i += 1)
      gateway.handle({ at: T0 + i, call: { server: "k8s", tool: "pod_exec", args: {}, identity } });
    for (let i = 0; i < 3; i += 1)
      gateway.handle({ at: T0 + 10 + i, call: { server: "k8s", tool: "read_logs", args: {}, identity } });
    const report = await replayInMemory(gateway.recorded, { candidate, baselines: [live], window: WINDOW });
    expect(report.selfCheck.mismatches).toBe(0);
    expect(cell(report, "allow", "deny_rule")).toBe(3);
    expect(cell(report, "rate_limited", "allow")).toBe(3);
    expect(report.summary.cascades).toBe(3);
    expect(report.transitions.find((t) => t.before === "rate_limited")?.cascades).toBe(3);
  });

  it("rebuilds counters from the warm-up before the window", async () => {
    const live = policyOf(LIVE);
    // Three execs 30 s before the window fill the counter: the window's first exec was limited.
    const gateway = new LiveGateway(live);
    for (let i = 0; i < 3; i += 1)
      gateway.handle({ at: T0 - 30_000 + i, call: { server: "k8s", tool: "pod_exec", args: {}, identity } });
    gateway.handle({ at: T0 + 1, call: { server: "k8s", tool: "pod_exec", args: {}, identity } });
    const report = await replayInMemory(gateway.recorded, {
      candidate: live,
      baselines: [live],
      window: WINDOW,
    });
    expect(report.provenance.warmupFrom).toBe(T0 - 60_000);
    expect(report.coverage.calls).toBe(1);
    expect(report.selfCheck).toMatchObject({ checked: 1, mismatches: 0 });
    expect(cell(report, "rate_limited", "rate_limited")).toBe(1);
  });

  it("reports only the filtered calls but replays all of them", async () => {
    const candidate = withTools({
      pod_exec: { limits: [{ counter: "exec", window: "minute", max: 2, scope: "grant" }] },
    });
    const report = await replayMinute(candidate, { tool: "read_logs" });
    expect(report.coverage.calls).toBe(1);
    expect(report.summary.changed).toBe(0);
  });

  it("does not replay a call whose checked arguments were redacted, and says why", async () => {
    const live = policyOf(LIVE);
    const recorded = recordedMinute(live).map((call) =>
      call.tool === "pod_exec" ? { ...call, redacted: true } : call,
    );
    const report = await replayInMemory(recorded, { candidate: live, baselines: [live], window: WINDOW });
    expect(report.coverage.replayed).toBe(4);
    expect(report.coverage.notReplayable).toEqual([
      { reason: expect.stringContaining("redacted"), calls: 5 },
    ]);
    expect(report.summary.changed).toBe(0);
  });
});
