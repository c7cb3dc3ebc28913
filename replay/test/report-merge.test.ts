/**
 * Report builders merge: the observer calls of a replay, split by instance among several builders
 * (as worker threads split them) and each builder's parts absorbed into a fresh one, build exactly
 * the report of one builder fed every call. Also: examples are a seeded sample that does not depend
 * on the order calls arrive in, is built lazily, and survives structured cloning (postMessage).
 */
import type { Decision } from "@tollgate/policy";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { NUM_RUNS, SEED } from "../../packages/policy/test/harness.js";
import type { Category } from "../src/categories.js";
import type { Comparison } from "../src/engine.js";
import type { RecordedCall, RecordedVerdict } from "../src/recorded.js";
import { type ReplayReport, ReportBuilder, type ReportContext, type ReportParts } from "../src/report.js";
import { seededRandom } from "../src/sample.js";

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const MINUTE = 60_000;
const NAMES: ReadonlyMap<string, string> = new Map([["d-live", "live"]]);
const SOURCE = { kind: "events-file", detail: "synthetic" } as const;
const REDACTED = "arguments were redacted";
const NO_SERVER = "the server was not configured";

/** The verdict each category stands for, as the decider would give it. */
const VERDICTS: Record<Category, RecordedVerdict> = {
  allow: { outcome: "allow", rule: "tools.read_logs", basis: "rule" },
  shadow: { outcome: "allow", rule: "tools.pod_exec", basis: "shadow_mode" },
  deny_rule: { outcome: "deny", rule: "tools.delete_pod", basis: "rule" },
  deny_default: { outcome: "deny", rule: "default", basis: "default" },
  rate_limited: { outcome: "rate_limited", rule: "tools.pod_exec.limits[0]", basis: "limit" },
  approval_required: { outcome: "approval_required", rule: "tools.scale", basis: "approval" },
};

/** One thing the engine tells its observer, about one recorded call. */
type Notice =
  | { kind: "compared"; call: RecordedCall; before: Category; after: Category; cascade: boolean }
  | { kind: "mismatch" | "verified" | "approval" | "unverified"; call: RecordedCall }
  | { kind: "unreplayable"; call: RecordedCall; reason: string };

function context(seed: number, samplesPerCell: number): ReportContext {
  const ref = { name: "live", digest: "d-live", source: "live.json" };
  return {
    id: "merge-test",
    createdAt: 0,
    tollgateVersion: "test",
    candidate: { ...ref, name: "candidate", digest: "d-candidate" },
    baselines: [ref],
    window: { from: T0, to: T0 + 60 * MINUTE },
    warmupFrom: T0 - MINUTE,
    filter: {},
    seed,
    samplesPerCell,
  };
}

/** Calls of the "ignored" tool are left out of the report, as a filter would. */
function builderOf(seed: number, samplesPerCell: number): ReportBuilder {
  return new ReportBuilder(context(seed, samplesPerCell), (call) => call.tool !== "ignored");
}

function recordedCall(instance: string, seq: number, fields: Partial<RecordedCall> = {}): RecordedCall {
  return {
    eventId: `event-${instance}-${seq}`,
    callId: `call-${instance}-${seq}`,
    instance,
    seq,
    at: T0 + seq * 1000,
    session: "s-0",
    agent: "agent-0",
    grant: "grant-0",
    server: "k8s",
    tool: "pod_exec",
    argumentsJson: "{}",
    argumentsAreObject: true,
    redacted: false,
    approved: false,
    digest: "d-live",
    recorded: VERDICTS.allow,
    recordedShadow: undefined,
    ...fields,
  };
}

function decisionOf(category: Category, at: number): Decision {
  return { ...VERDICTS[category], reason: `now ${category}`, counters: [], at };
}

/** Feeds a builder as the engine does: one comparison object, refilled for every call. */
class Feeder {
  private readonly comparison: Comparison = {
    call: recordedCall("", 0),
    before: "allow",
    after: "allow",
    decision: decisionOf("allow", 0),
    cascade: false,
    replayed: true,
  };

  constructor(readonly builder: ReportBuilder) {}

  notify(notice: Notice): void {
    const { builder } = this;
    switch (notice.kind) {
      case "compared":
        builder.compared(this.refill(notice));
        break;
      case "mismatch":
        builder.mismatch({
          call: notice.call,
          replayed: { ...VERDICTS.deny_default, reason: "replayed otherwise" },
          replayedShadow: notice.call.seq % 2 === 0 ? undefined : { outcome: "deny", rule: "shadow" },
        });
        break;
      case "verified":
        builder.verified(notice.call);
        break;
      case "approval":
        builder.approval(notice.call);
        break;
      case "unverified":
        builder.unverified(notice.call);
        break;
      case "unreplayable":
        builder.unreplayable(notice.call, notice.reason);
        break;
    }
  }

  private refill(notice: Extract<Notice, { kind: "compared" }>): Comparison {
    const comparison = this.comparison;
    comparison.call = notice.call;
    comparison.before = notice.before;
    comparison.after = notice.after;
    comparison.decision = decisionOf(notice.after, notice.call.at);
    comparison.cascade = notice.cascade;
    comparison.replayed = notice.call.redacted === false;
    return comparison;
  }
}

/** What one recorded call looks like to the report; the trace arbitrary draws these. */
interface Step {
  gap: number;
  approved: boolean;
  unreplayable: string | undefined;
  baseline: "verified" | "mismatch" | "missing";
  before: Category;
  after: Category;
  cascade: boolean;
  session: number;
  tool: string;
  agent: number;
  digest: string;
}

/** The notices of one call, in the order the engine gives them (engine.ts, `replay`). */
function noticesOf(call: RecordedCall, step: Step): Notice[] {
  const notices: Notice[] = [];
  if (step.unreplayable !== undefined)
    notices.push({ kind: "unreplayable", call, reason: step.unreplayable });
  if (step.baseline === "missing") notices.push({ kind: "unverified", call });
  else if (step.unreplayable === undefined) notices.push({ kind: step.baseline, call });
  if (call.approved) notices.push({ kind: "approval", call });
  else {
    const cascade = step.cascade && step.before !== step.after;
    notices.push({ kind: "compared", call, before: step.before, after: step.after, cascade });
  }
  return notices;
}

/** Each instance's notices, in its chain order; calls of different instances share times. */
function instanceNotices(instance: string, steps: readonly Step[]): Notice[] {
  let at = T0;
  return steps.flatMap((step, seq) => {
    at += step.gap;
    const call = recordedCall(instance, seq, {
      at,
      // Sessions shared by instances: a tally's sessions from several builders must be a union, not a sum.
      session: `s-${step.session}`,
      agent: `agent-${step.agent}`,
      grant: `grant-${step.session % 2}`,
      tool: step.tool,
      approved: step.approved,
      redacted: step.unreplayable === REDACTED,
      digest: step.baseline === "missing" ? `d-unknown-${step.session % 2}` : step.digest,
      recorded: VERDICTS[step.before],
    });
    return noticesOf(call, step);
  });
}

/** Any interleaving of the lists that keeps each list's own order. */
function interleave<T>(lists: readonly (readonly T[])[], seed: number): T[] {
  const random = seededRandom(seed);
  const queues = lists.map((list) => [...list]).filter((queue) => queue.length > 0);
  const merged: T[] = [];
  while (queues.length > 0) {
    const index = Math.floor(random() * queues.length);
    const queue = queues[index] as T[];
    merged.push(queue.shift() as T);
    if (queue.length === 0) queues.splice(index, 1);
  }
  return merged;
}

function fed(builder: ReportBuilder, notices: readonly Notice[]): ReportBuilder {
  const feeder = new Feeder(builder);
  for (const notice of notices) feeder.notify(notice);
  return builder;
}

interface Split {
  /** Which builder replays each instance (modulo the number of builders). */
  assignment: readonly number[];
  builders: number;
  /** The order the main thread absorbs the builders' parts in. */
  absorbOrder: readonly number[];
  interleaving: number;
}

/** The report of builders that each replayed some instances, merged through cloned parts. */
function mergedReport(
  byInstance: readonly (readonly Notice[])[],
  split: Split,
  make: () => ReportBuilder,
): ReplayReport {
  const parts = Array.from({ length: split.builders }, (_, index): ReportParts => {
    const mine = byInstance.filter(
      (_, instance) => (split.assignment[instance] ?? 0) % split.builders === index,
    );
    return structuredClone(fed(make(), interleave(mine, split.interleaving + index)).parts());
  });
  const merged = make();
  for (const index of split.absorbOrder) {
    const part = parts[index];
    if (part !== undefined) merged.absorb(part);
  }
  return merged.build(NAMES, SOURCE);
}

function sequentialReport(
  byInstance: readonly (readonly Notice[])[],
  interleaving: number,
  make: () => ReportBuilder,
): ReplayReport {
  return fed(make(), interleave(byInstance, interleaving)).build(NAMES, SOURCE);
}

const categoryArb = fc.constantFrom<Category>("allow", "rate_limited", "deny_rule", "approval_required");

const stepArb: fc.Arbitrary<Step> = fc.record({
  // Gaps of 0 give calls of several instances the same time; a minute moves to the next bucket.
  gap: fc.constantFrom(0, 0, 500, 1000, MINUTE),
  approved: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  unreplayable: fc.constantFrom(undefined, undefined, undefined, undefined, REDACTED, NO_SERVER),
  baseline: fc.constantFrom("verified", "verified", "verified", "mismatch", "missing"),
  before: categoryArb,
  after: categoryArb,
  cascade: fc.boolean(),
  session: fc.integer({ min: 0, max: 3 }),
  tool: fc.constantFrom("pod_exec", "pod_exec", "read_logs", "scale", "ignored"),
  agent: fc.integer({ min: 0, max: 2 }),
  digest: fc.constantFrom("d-live", "d-live", "d-reloaded"),
});

const caseArb = fc.record({
  instances: fc.array(fc.array(stepArb, { maxLength: 80 }), { minLength: 1, maxLength: 5 }),
  seed: fc.nat(),
  samplesPerCell: fc.integer({ min: 1, max: 4 }),
  split: fc.record({
    assignment: fc.array(fc.nat({ max: 2 }), { minLength: 5, maxLength: 5 }),
    builders: fc.integer({ min: 1, max: 3 }),
    absorbOrder: fc.shuffledSubarray([0, 1, 2], { minLength: 3, maxLength: 3 }),
    interleaving: fc.nat(),
  }),
  sequentialInterleaving: fc.nat(),
});

/** Instance names whose order as strings differs from their order as numbers (gw-10 < gw-2). */
function instanceName(index: number): string {
  return `gw-${[1, 10, 2, 20, 3][index] ?? index}`;
}

describe("merging report builders", () => {
  test("builders split by instance, merged in any order, report what one builder reports", () => {
    fc.assert(
      fc.property(caseArb, ({ instances, seed, samplesPerCell, split, sequentialInterleaving }) => {
        const byInstance = instances.map((steps, index) => instanceNotices(instanceName(index), steps));
        const make = () => builderOf(seed, samplesPerCell);
        const sequential = sequentialReport(byInstance, sequentialInterleaving, make);
        expect(mergedReport(byInstance, split, make)).toStrictEqual(sequential);
      }),
      { numRuns: NUM_RUNS, seed: SEED },
    );
  });

  test("a large trace, split every way, merges into the sequential report", () => {
    const byInstance = largeTrace();
    const make = () => builderOf(7, 5);
    const sequential = sequentialReport(byInstance, 1, make);
    // The trace exercises what a merge must get right.
    expect(sequential.transitions.every((cell) => cell.calls > 5 * cell.examples.length)).toBe(true);
    expect(sequential.transitions.some((cell) => cell.cascades > 0)).toBe(true);
    expect(sequential.selfCheck.mismatches).toBeGreaterThan(10);
    expect(sequential.coverage.unverified.length).toBeGreaterThan(1);
    expect(sequential.coverage.notReplayable.length).toBe(2);
    expect(sequential.coverage.approvals).toBeGreaterThan(0);
    expect(sequential.attribution.tools.every((tool) => tool.sessions > 1)).toBe(true);
    const splits: Split[] = [
      { assignment: [0, 0, 0, 0], builders: 1, absorbOrder: [0], interleaving: 3 },
      { assignment: [0, 1, 0, 1], builders: 2, absorbOrder: [1, 0], interleaving: 4 },
      { assignment: [2, 0, 1, 0], builders: 3, absorbOrder: [2, 0, 1], interleaving: 5 },
      { assignment: [0, 1, 2, 2], builders: 3, absorbOrder: [1, 2, 0], interleaving: 6 },
    ];
    for (const split of splits) expect(mergedReport(byInstance, split, make)).toStrictEqual(sequential);
  });

  test("parts are plain data: a structured clone absorbs like the original", () => {
    const byInstance = largeTrace();
    const parts = fed(builderOf(7, 5), byInstance.flat()).parts();
    const cloned = structuredClone(parts);
    expect(cloned).toStrictEqual(parts);
    // Stricter than a clone, which would copy a Map or a Set as one: JSON keeps only plain data.
    expect(JSON.parse(JSON.stringify(parts))).toStrictEqual(parts);
    const fromOriginal = builderOf(7, 5);
    fromOriginal.absorb(parts);
    const fromClone = builderOf(7, 5);
    fromClone.absorb(cloned);
    expect(fromClone.build(NAMES, SOURCE)).toStrictEqual(fromOriginal.build(NAMES, SOURCE));
  });

  test("taking parts midway changes nothing the builder goes on to count", () => {
    const notices = largeTrace().flat();
    const half = Math.floor(notices.length / 2);
    const interrupted = fed(builderOf(7, 5), notices.slice(0, half));
    const early = interrupted.parts();
    fed(interrupted, notices.slice(half));
    expect(interrupted.build(NAMES, SOURCE)).toStrictEqual(
      fed(builderOf(7, 5), notices).build(NAMES, SOURCE),
    );
    // The parts were a copy: what came after did not change them.
    expect(early.calls).toBeLessThan(interrupted.parts().calls);
  });

  test("a timeline of another window is refused", () => {
    const parts = builderOf(1, 5).parts();
    const other = new ReportBuilder(
      { ...context(1, 5), window: { from: T0, to: T0 + 7 * 86_400_000 } },
      () => true,
    );
    expect(() => other.absorb(parts)).toThrow(/another window/);
  });
});

describe("examples of a changed cell", () => {
  /** 4 instances × 500 calls, all changed from allow to rate-limited. */
  function bigCell(seed: number, order = 0): ReplayReport {
    const byInstance = ["gw-a", "gw-b", "gw-c", "gw-d"].map((instance) =>
      Array.from({ length: 500 }, (_, seq): Notice => {
        const call = recordedCall(instance, seq, { at: T0 + seq * 100 });
        return { kind: "compared", call, before: "allow", after: "rate_limited", cascade: false };
      }),
    );
    return fed(builderOf(seed, 5), interleave(byInstance, order)).build(NAMES, SOURCE);
  }

  const picked = (report: ReplayReport) =>
    (report.transitions[0]?.examples ?? []).map((example) => `${example.instance}#${example.seq}`);

  test("the same seed picks the same examples, whatever order the calls came in", () => {
    expect(picked(bigCell(1, 1))).toHaveLength(5);
    expect(picked(bigCell(1, 2))).toEqual(picked(bigCell(1, 1)));
  });

  test("another seed picks others", () => {
    expect(picked(bigCell(2))).not.toEqual(picked(bigCell(1)));
  });

  test("examples are in time order, ties by instance and seq", () => {
    const examples = bigCell(3).transitions[0]?.examples ?? [];
    const sorted = [...examples].sort(
      (a, b) => a.at - b.at || (a.instance < b.instance ? -1 : a.instance > b.instance ? 1 : a.seq - b.seq),
    );
    expect(examples).toEqual(sorted);
  });

  test("over many seeds every instance and every part of the window is sampled about as often", () => {
    const byInstance = new Map<string, number>();
    let firstHalf = 0;
    for (let seed = 0; seed < 200; seed += 1) {
      for (const example of bigCell(seed).transitions[0]?.examples ?? []) {
        byInstance.set(example.instance, (byInstance.get(example.instance) ?? 0) + 1);
        if (example.seq < 250) firstHalf += 1;
      }
    }
    // 1,000 examples: 250 per instance and 500 per half expected; these bounds are 5 sigma wide.
    expect(byInstance.size).toBe(4);
    for (const count of byInstance.values()) expect(Math.abs(count - 250)).toBeLessThan(70);
    expect(Math.abs(firstHalf - 500)).toBeLessThan(80);
  });

  test("an example is built only for calls the sample takes", () => {
    let built = 0;
    const builder = builderOf(1, 5);
    const feeder = new Feeder(builder);
    for (let seq = 0; seq < 20_000; seq += 1) {
      const call = recordedCall(`gw-${seq % 3}`, seq, { at: T0 + seq });
      // callExample reads the call's id: counting reads counts examples built.
      Object.defineProperty(call, "eventId", {
        get: () => {
          built += 1;
          return "event";
        },
      });
      feeder.notify({ kind: "compared", call, before: "allow", after: "deny_rule", cascade: false });
    }
    // Bottom-5 of 20,000 in random order replaces about 5 ln(20,000 / 5) ≈ 41 times.
    expect(built).toBeGreaterThanOrEqual(5);
    expect(built).toBeLessThan(150);
  });
});

describe("mismatch examples and lists", () => {
  test("the mismatch examples are the ten earliest by (at, instance, seq), not the first ten seen", () => {
    const late = Array.from({ length: 12 }, (_, seq) =>
      recordedCall("gw-late", seq, { at: T0 + 60_000 + seq }),
    );
    const early = Array.from({ length: 12 }, (_, seq) => recordedCall("gw-early", seq, { at: T0 + seq * 2 }));
    // Same time as gw-early's even calls: ties go to the instance that sorts first.
    const tied = Array.from({ length: 12 }, (_, seq) => recordedCall("gw-a", seq, { at: T0 + seq * 2 }));
    const builder = builderOf(1, 5);
    const feeder = new Feeder(builder);
    for (const call of [...late, ...early, ...tied]) feeder.notify({ kind: "mismatch", call });
    const examples = builder.build(NAMES, SOURCE).selfCheck.examples;
    expect(examples.map((example) => `${example.instance}#${example.seq}`)).toEqual([
      "gw-a#0",
      "gw-early#0",
      "gw-a#1",
      "gw-early#1",
      "gw-a#2",
      "gw-early#2",
      "gw-a#3",
      "gw-early#3",
      "gw-a#4",
      "gw-early#4",
    ]);
  });

  test("lists counted in maps come most calls first, then by key", () => {
    const builder = builderOf(1, 5);
    const feeder = new Feeder(builder);
    const digests = ["d-b", "d-a", "d-c", "d-c", "d-b", "d-a", "d-c"];
    digests.forEach((digest, seq) => {
      const call = recordedCall("gw-1", seq, { digest });
      feeder.notify({
        kind: "unreplayable",
        call,
        reason: digest === "d-c" ? "z reason" : `${digest} reason`,
      });
      feeder.notify({ kind: "unverified", call });
      feeder.notify({ kind: "compared", call, before: "allow", after: "allow", cascade: false });
    });
    const report = builder.build(NAMES, SOURCE);
    expect(report.provenance.recordedPolicies.map((policy) => [policy.digest, policy.calls])).toEqual([
      ["d-c", 3],
      ["d-a", 2],
      ["d-b", 2],
    ]);
    expect(report.coverage.unverified.map((digest) => digest.digest)).toEqual(["d-c", "d-a", "d-b"]);
    expect(report.coverage.notReplayable).toEqual([
      { reason: "z reason", calls: 3 },
      { reason: "d-a reason", calls: 2 },
      { reason: "d-b reason", calls: 2 },
    ]);
  });
});

/**
 * Four instances of 600 calls with every kind of notice: a few big changed cells with cascades,
 * mismatches in each instance, unverified digests, two unreplayable reasons, approvals, and several
 * sessions per tool.
 */
function largeTrace(): Notice[][] {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return ["gw-a", "gw-b", "gw-c", "gw-d"].map((instance) => {
    const steps = Array.from(
      { length: 600 },
      (): Step => ({
        gap: pick([0, 250, 1000, 5000]),
        approved: random() < 0.05,
        unreplayable: random() < 0.05 ? pick([REDACTED, NO_SERVER]) : undefined,
        baseline: random() < 0.05 ? "mismatch" : random() < 0.05 ? "missing" : "verified",
        before: pick<Category>(["allow", "allow", "rate_limited"]),
        after: pick<Category>(["allow", "rate_limited", "deny_rule"]),
        cascade: random() < 0.3,
        session: Math.floor(random() * 4),
        tool: pick(["pod_exec", "read_logs", "scale", "ignored"]),
        agent: Math.floor(random() * 3),
        digest: pick(["d-live", "d-live", "d-reloaded"]),
      }),
    );
    return instanceNotices(instance, steps);
  });
}
