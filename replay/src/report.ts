/**
 * The replay report: plain JSON, so that every format (terminal, Markdown, JUnit, HTML) and every
 * consumer (the CLI's exit code, the API, the UI) reads the same numbers. `ReportBuilder` collects
 * them as the engine replays; memory grows with distinct tools, agents, rules and sessions among
 * changed calls, never with the number of calls.
 */
import { addCounts, CATEGORIES, type Category, categoryIndex, letsThrough } from "./categories.js";
import type { Comparison, Mismatch, ReplayObserver } from "./engine.js";
import type {
  RecordedCall,
  RecordedShadow,
  RecordedVerdict,
  ReplayFilter,
  ReplayWindow,
} from "./recorded.js";
import { BottomK, SamplePriorities } from "./sample.js";
import { compareStrings, type GroupCount, type GroupParts, Tally } from "./tally.js";
import { type Timeline, TimelineBuilder } from "./timeline.js";
import type { Verdict } from "./verdict.js";

export const REPORT_SCHEMA = "tollgate.replay-report/v1";

export interface PolicyRef {
  name: string;
  digest: string;
  source: string;
}

export interface ReplaySource {
  kind: "clickhouse" | "spool" | "kafka" | "events-file";
  /** What was read: the store and query, the spool directory, the topic and offsets, the file. */
  detail: string;
  /** Worker threads that read and decided the calls; absent when the replay's own thread did. */
  threads?: number;
}

/** Which recorded call an example is: enough to find its event and read it in context. */
export type ExampleCall = Pick<
  RecordedCall,
  "eventId" | "callId" | "instance" | "seq" | "at" | "session" | "agent" | "tool"
>;

export interface CallExample extends ExampleCall {
  grant: string;
  server: string;
  before: RecordedVerdict;
  after: RecordedVerdict & { reason: string };
  cascade: boolean;
}

export interface MismatchExample extends ExampleCall {
  digest: string;
  recorded: RecordedVerdict & { shadow?: RecordedShadow };
  replayed: RecordedVerdict & { reason: string; shadow?: RecordedShadow };
}

export interface Coverage {
  /** First decisions of calls in the window that match the filter. */
  calls: number;
  /** Those the candidate re-decided (the rest keep their recorded decision, see notReplayable). */
  replayed: number;
  /** Re-decisions after a person's approval: replayed, but not counted as calls. */
  approvals: number;
  notReplayable: { reason: string; calls: number }[];
  /** Calls recorded under a policy no baseline was given for: the self-check could not vouch. */
  unverified: { digest: string; name: string | undefined; calls: number }[];
}

export interface SelfCheck {
  /** Recorded decisions (first decisions and approvals) the baseline re-decided. */
  checked: number;
  mismatches: number;
  examples: MismatchExample[];
}

export interface TransitionCell {
  before: Category;
  after: Category;
  calls: number;
  cascades: number;
  examples: CallExample[];
}

export interface ReplaySummary {
  calls: number;
  changed: number;
  /** Blocked, held or limited before; let through now. */
  newlyAllowed: number;
  /** Let through before; blocked, held or limited now. */
  newlyBlocked: number;
  /** Changed only because earlier calls changed (rate-limit counters filled or freed). */
  cascades: number;
}

export interface ReplayReport {
  schema: typeof REPORT_SCHEMA;
  id: string;
  createdAt: number;
  tollgateVersion: string;
  provenance: {
    candidate: PolicyRef;
    baselines: PolicyRef[];
    /** The digests the recorded calls were decided under, with their counts. */
    recordedPolicies: { digest: string; name: string | undefined; calls: number }[];
    window: ReplayWindow;
    /** Counters are rebuilt from the calls in [warmupFrom, window.from). */
    warmupFrom: number;
    source: ReplaySource;
    filter: ReplayFilter;
    seed: number;
  };
  coverage: Coverage;
  selfCheck: SelfCheck;
  summary: ReplaySummary;
  categories: readonly Category[];
  /** matrix[before][after], indexed like `categories`. */
  matrix: number[][];
  /** The changed cells, most calls first, each with a seeded sample of examples. */
  transitions: TransitionCell[];
  attribution: {
    /** By `before rule → after rule`. */
    rules: GroupCount[];
    tools: GroupCount[];
    agents: GroupCount[];
    grants: GroupCount[];
  };
  timeline: Timeline;
  /** Set by whoever judged the report against thresholds (the CLI, the API). */
  verdict?: Verdict;
}

export interface ReportContext {
  id: string;
  createdAt: number;
  tollgateVersion: string;
  candidate: PolicyRef;
  baselines: PolicyRef[];
  window: ReplayWindow;
  warmupFrom: number;
  filter: ReplayFilter;
  seed: number;
  samplesPerCell: number;
}

/** How changed calls changed: the summary but for `calls`, which counts every call. */
export type ChangeCounts = Omit<ReplaySummary, "calls">;

/**
 * Everything a builder counted: plain data (arrays, numbers, strings, plain objects; no Map/Set/
 * functions), so it survives postMessage. Builders that replayed disjoint sets of instances absorb
 * each other's parts into the report one builder would have built over all their calls.
 */
export interface ReportParts {
  calls: number;
  replayed: number;
  approvals: number;
  checked: number;
  mismatches: number;
  changes: ChangeCounts;
  /** matrix[before][after], indexed like CATEGORIES. */
  matrix: number[][];
  /** The cascades among the matrix's calls, indexed likewise. */
  cascades: number[][];
  /** Each changed cell's sampled examples, in no particular order. */
  samples: { before: Category; after: Category; examples: CallExample[] }[];
  /** The earliest mismatches' examples, in no particular order. */
  mismatchExamples: MismatchExample[];
  recordedDigests: { digest: string; calls: number }[];
  unverified: { digest: string; calls: number }[];
  notReplayable: { reason: string; calls: number }[];
  attribution: { rules: GroupParts[]; tools: GroupParts[]; agents: GroupParts[]; grants: GroupParts[] };
  timeline: Timeline;
}

const MISMATCH_EXAMPLES = 10;

export class ReportBuilder implements ReplayObserver {
  private readonly matrix = CATEGORIES.map(() => CATEGORIES.map(() => 0));
  private readonly cascadeCells = CATEGORIES.map(() => CATEGORIES.map(() => 0));
  /** By cell, `before * CATEGORIES.length + after`. */
  private readonly samples: (BottomK<CallExample> | undefined)[] = [];
  private readonly priorities: SamplePriorities;
  /** `before rule → after rule` keys, built once per pair of rules rather than once per call. */
  private readonly ruleKeys = new Map<string, Map<string, string>>();
  private readonly rules = new Tally();
  private readonly tools = new Tally();
  private readonly agents = new Tally();
  private readonly grants = new Tally();
  private readonly notReplayable = new Map<string, number>();
  private readonly unverifiedDigests = new Map<string, number>();
  private readonly recordedDigests = new Map<string, number>();
  private readonly digestRun = { digest: "", calls: 0 };
  /** The earliest by (at, instance, seq): the same ten however the calls were split among builders. */
  private readonly mismatchExamples = new BottomK<MismatchExample>(MISMATCH_EXAMPLES);
  private readonly timeline: TimelineBuilder;
  private calls = 0;
  private replayed = 0;
  private approvals = 0;
  private checked = 0;
  private mismatches = 0;
  private readonly changes: ChangeCounts = {
    changed: 0,
    newlyAllowed: 0,
    newlyBlocked: 0,
    cascades: 0,
  };

  constructor(
    private readonly context: ReportContext,
    /** Only calls matching the filter are reported; all are replayed (counters are shared). */
    private readonly reported: (call: RecordedCall) => boolean,
  ) {
    this.priorities = new SamplePriorities(context.seed);
    this.timeline = new TimelineBuilder(context.window);
  }

  compared(comparison: Comparison): void {
    const { call, before, after } = comparison;
    if (!this.reported(call)) return;
    this.calls += 1;
    if (comparison.replayed) this.replayed += 1;
    this.countRecordedDigest(call.digest);
    const row = categoryIndex(before);
    const column = categoryIndex(after);
    this.timeline.add(call.at, row, column);
    (this.matrix[row] as number[])[column] = ((this.matrix[row] as number[])[column] ?? 0) + 1;
    if (before === after) return;
    this.changed(comparison, row, column);
  }

  mismatch(mismatch: Mismatch): void {
    this.checked += 1;
    this.mismatches += 1;
    const { at, instance, seq } = mismatch.call;
    if (this.mismatchExamples.takes(at, instance, seq)) {
      this.mismatchExamples.keep(at, instance, seq, mismatchExample(mismatch));
    }
  }

  verified(_call: RecordedCall): void {
    this.checked += 1;
  }

  approval(call: RecordedCall): void {
    if (this.reported(call)) this.approvals += 1;
  }

  unverified(call: RecordedCall): void {
    if (this.reported(call) && !call.approved) this.count(this.unverifiedDigests, call.digest);
  }

  unreplayable(call: RecordedCall, reason: string): void {
    if (this.reported(call) && !call.approved) this.count(this.notReplayable, reason);
  }

  /** What this builder has counted so far, as plain data: a copy, so counting can go on after. */
  parts(): ReportParts {
    this.endDigestRun();
    return {
      calls: this.calls,
      replayed: this.replayed,
      approvals: this.approvals,
      checked: this.checked,
      mismatches: this.mismatches,
      changes: { ...this.changes },
      matrix: this.matrix.map((row) => [...row]),
      cascades: this.cascadeCells.map((row) => [...row]),
      samples: this.sampleParts(),
      mismatchExamples: this.mismatchExamples.items,
      recordedDigests: [...this.recordedDigests].map(([digest, calls]) => ({ digest, calls })),
      unverified: [...this.unverifiedDigests].map(([digest, calls]) => ({ digest, calls })),
      notReplayable: [...this.notReplayable].map(([reason, calls]) => ({ reason, calls })),
      attribution: {
        rules: this.rules.parts(),
        tools: this.tools.parts(),
        agents: this.agents.parts(),
        grants: this.grants.parts(),
      },
      timeline: this.timeline.parts(),
    };
  }

  /** Adds another builder's parts (same ReportContext) to this one's counts. */
  absorb(parts: ReportParts): void {
    this.calls += parts.calls;
    this.replayed += parts.replayed;
    this.approvals += parts.approvals;
    this.checked += parts.checked;
    this.mismatches += parts.mismatches;
    const { changes } = this;
    changes.changed += parts.changes.changed;
    changes.newlyAllowed += parts.changes.newlyAllowed;
    changes.newlyBlocked += parts.changes.newlyBlocked;
    changes.cascades += parts.changes.cascades;
    addMatrix(this.matrix, parts.matrix);
    addMatrix(this.cascadeCells, parts.cascades);
    for (const { before, after, examples } of parts.samples) {
      const sample = this.sampleOf(categoryIndex(before) * CATEGORIES.length + categoryIndex(after));
      for (const example of examples) {
        const priority = this.admitted(sample, example);
        if (priority !== undefined) sample.keep(priority, example.instance, example.seq, example);
      }
    }
    for (const example of parts.mismatchExamples) {
      if (this.mismatchExamples.takes(example.at, example.instance, example.seq)) {
        this.mismatchExamples.keep(example.at, example.instance, example.seq, example);
      }
    }
    for (const { digest, calls } of parts.recordedDigests) this.count(this.recordedDigests, digest, calls);
    for (const { digest, calls } of parts.unverified) this.count(this.unverifiedDigests, digest, calls);
    for (const { reason, calls } of parts.notReplayable) this.count(this.notReplayable, reason, calls);
    this.rules.absorb(parts.attribution.rules);
    this.tools.absorb(parts.attribution.tools);
    this.agents.absorb(parts.attribution.agents);
    this.grants.absorb(parts.attribution.grants);
    this.timeline.absorb(parts.timeline);
  }

  /** `source` is described after reading: a topic's offsets or a skipped message are known only then. */
  build(names: ReadonlyMap<string, string>, source: ReplaySource): ReplayReport {
    this.endDigestRun();
    const { context } = this;
    return {
      schema: REPORT_SCHEMA,
      id: context.id,
      createdAt: context.createdAt,
      tollgateVersion: context.tollgateVersion,
      provenance: {
        candidate: context.candidate,
        baselines: context.baselines,
        recordedPolicies: digestCounts(this.recordedDigests, names),
        window: context.window,
        warmupFrom: context.warmupFrom,
        source,
        filter: context.filter,
        seed: context.seed,
      },
      coverage: {
        calls: this.calls,
        replayed: this.replayed,
        approvals: this.approvals,
        notReplayable: mostCalls(this.notReplayable).map(([reason, calls]) => ({ reason, calls })),
        unverified: digestCounts(this.unverifiedDigests, names),
      },
      selfCheck: {
        checked: this.checked,
        mismatches: this.mismatches,
        examples: this.mismatchExamples.items.sort(byCall),
      },
      summary: { calls: this.calls, ...this.changes },
      categories: CATEGORIES,
      matrix: this.matrix,
      transitions: this.transitions(),
      attribution: {
        rules: this.rules.counts(),
        tools: this.tools.counts(),
        agents: this.agents.counts(),
        grants: this.grants.counts(),
      },
      timeline: this.timeline.build(),
    };
  }

  private changed(comparison: Comparison, row: number, column: number): void {
    const { call, before, after, cascade } = comparison;
    const newlyAllowed = !letsThrough(before) && letsThrough(after);
    const newlyBlocked = letsThrough(before) && !letsThrough(after);
    const { changes } = this;
    changes.changed += 1;
    if (newlyAllowed) changes.newlyAllowed += 1;
    if (newlyBlocked) changes.newlyBlocked += 1;
    if (cascade) {
      changes.cascades += 1;
      (this.cascadeCells[row] as number[])[column] = ((this.cascadeCells[row] as number[])[column] ?? 0) + 1;
    }
    const change = { session: call.session, newlyAllowed, newlyBlocked, cascade };
    this.rules.add(this.ruleKey(call.recorded.rule, comparison.decision.rule), change);
    this.tools.add(call.tool, change);
    this.agents.add(call.agent, change);
    this.grants.add(call.grant, change);
    const sample = this.sampleOf(row * CATEGORIES.length + column);
    // Built only if taken: most changed calls of a large cell are refused.
    const priority = this.admitted(sample, call);
    if (priority !== undefined) sample.keep(priority, call.instance, call.seq, callExample(comparison));
  }

  /** The call's sampling priority if the sample takes it, undefined if it refuses it. */
  private admitted(sample: BottomK<CallExample>, call: ExampleCall): number | undefined {
    const priority = this.priorities.of(call.instance, call.seq);
    return sample.takes(priority, call.instance, call.seq) ? priority : undefined;
  }

  private sampleOf(cell: number): BottomK<CallExample> {
    let sample = this.samples[cell];
    if (sample === undefined) {
      sample = new BottomK(this.context.samplesPerCell);
      this.samples[cell] = sample;
    }
    return sample;
  }

  private sampleParts(): ReportParts["samples"] {
    const parts: ReportParts["samples"] = [];
    this.samples.forEach((sample, cell) => {
      if (sample === undefined) return;
      const before = CATEGORIES[Math.floor(cell / CATEGORIES.length)] as Category;
      const after = CATEGORIES[cell % CATEGORIES.length] as Category;
      parts.push({ before, after, examples: sample.items });
    });
    return parts;
  }

  private ruleKey(before: string, after: string): string {
    let keys = this.ruleKeys.get(before);
    if (keys === undefined) {
      keys = new Map();
      this.ruleKeys.set(before, keys);
    }
    let key = keys.get(after);
    if (key === undefined) {
      key = `${before} → ${after}`;
      keys.set(after, key);
    }
    return key;
  }

  private transitions(): TransitionCell[] {
    const cells: TransitionCell[] = [];
    CATEGORIES.forEach((before, row) => {
      CATEGORIES.forEach((after, column) => {
        const calls = this.matrix[row]?.[column] ?? 0;
        if (before === after || calls === 0) return;
        const examples = (this.samples[row * CATEGORIES.length + column]?.items ?? []).sort(byCall);
        cells.push({ before, after, calls, cascades: this.cascadeCells[row]?.[column] ?? 0, examples });
      });
    });
    return cells.sort((a, b) => b.calls - a.calls);
  }

  /**
   * Calls come in long runs of one digest (each instance's, in chain order): a run is counted in one
   * number and added to the map when it ends, not with a map update per call.
   */
  private countRecordedDigest(digest: string): void {
    const run = this.digestRun;
    if (digest === run.digest) {
      run.calls += 1;
      return;
    }
    this.endDigestRun();
    run.digest = digest;
    run.calls = 1;
  }

  private endDigestRun(): void {
    const run = this.digestRun;
    if (run.calls === 0) return;
    this.count(this.recordedDigests, run.digest, run.calls);
    run.calls = 0;
  }

  private count(counts: Map<string, number>, key: string, calls = 1): void {
    counts.set(key, (counts.get(key) ?? 0) + calls);
  }
}

function addMatrix(into: number[][], more: readonly (readonly number[])[]): void {
  more.forEach((row, index) => {
    addCounts(into[index] as number[], row);
  });
}

/** Most calls first, ties by key: a map's order is its insertion order, which differs between builders. */
function mostCalls(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts].sort(([keyA, a], [keyB, b]) => b - a || compareStrings(keyA, keyB));
}

function digestCounts(counts: ReadonlyMap<string, number>, names: ReadonlyMap<string, string>) {
  return mostCalls(counts).map(([digest, calls]) => ({ digest, name: names.get(digest), calls }));
}

/** Time order, made total by (instance, seq): examples at the same millisecond sort the same everywhere. */
function byCall(a: ExampleCall, b: ExampleCall): number {
  return a.at - b.at || compareStrings(a.instance, b.instance) || a.seq - b.seq;
}

function exampleCall(call: RecordedCall): ExampleCall {
  return {
    eventId: call.eventId,
    callId: call.callId,
    instance: call.instance,
    seq: call.seq,
    at: call.at,
    session: call.session,
    agent: call.agent,
    tool: call.tool,
  };
}

function callExample(comparison: Comparison): CallExample {
  const { call, decision, cascade } = comparison;
  return {
    ...exampleCall(call),
    grant: call.grant,
    server: call.server,
    before: call.recorded,
    after: { outcome: decision.outcome, rule: decision.rule, basis: decision.basis, reason: decision.reason },
    cascade,
  };
}

function mismatchExample(mismatch: Mismatch): MismatchExample {
  const { call, replayed, replayedShadow } = mismatch;
  return {
    ...exampleCall(call),
    digest: call.digest,
    recorded: {
      ...call.recorded,
      ...(call.recordedShadow === undefined ? {} : { shadow: call.recordedShadow }),
    },
    replayed: {
      outcome: replayed.outcome,
      rule: replayed.rule,
      basis: replayed.basis,
      reason: replayed.reason,
      ...(replayedShadow === undefined ? {} : { shadow: replayedShadow }),
    },
  };
}
