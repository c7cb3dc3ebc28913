/**
 * The replay report: plain JSON, so that every format (terminal, Markdown, JUnit, HTML) and every
 * consumer (the CLI's exit code, the API, the UI) reads the same numbers. `ReportBuilder` collects
 * them as the engine replays; memory grows with distinct tools, agents, rules and sessions among
 * changed calls, never with the number of calls.
 */
import { CATEGORIES, type Category, categoryIndex, letsThrough } from "./categories.js";
import type { Comparison, Mismatch, ReplayObserver } from "./engine.js";
import type {
  RecordedCall,
  RecordedShadow,
  RecordedVerdict,
  ReplayFilter,
  ReplayWindow,
} from "./recorded.js";
import { Reservoir, seededRandom } from "./sample.js";
import { type GroupCount, Tally } from "./tally.js";
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

const MISMATCH_EXAMPLES = 10;

export class ReportBuilder implements ReplayObserver {
  private readonly matrix = CATEGORIES.map(() => CATEGORIES.map(() => 0));
  private readonly cascadeCells = CATEGORIES.map(() => CATEGORIES.map(() => 0));
  /** By cell, `before * CATEGORIES.length + after`. */
  private readonly samples: (Reservoir<CallExample> | undefined)[] = [];
  /** `before rule → after rule` keys, built once per pair of rules rather than once per call. */
  private readonly ruleKeys = new Map<string, Map<string, string>>();
  private readonly random: () => number;
  private readonly rules = new Tally();
  private readonly tools = new Tally();
  private readonly agents = new Tally();
  private readonly grants = new Tally();
  private readonly notReplayable = new Map<string, number>();
  private readonly unverifiedDigests = new Map<string, number>();
  private readonly recordedDigests = new Map<string, number>();
  private readonly digestRun = { digest: "", calls: 0 };
  private readonly mismatchExamples: MismatchExample[] = [];
  private readonly timeline: TimelineBuilder;
  private calls = 0;
  private replayed = 0;
  private approvals = 0;
  private checked = 0;
  private mismatches = 0;
  private readonly summary: ReplaySummary = {
    calls: 0,
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
    this.random = seededRandom(context.seed);
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
    if (this.mismatchExamples.length < MISMATCH_EXAMPLES)
      this.mismatchExamples.push(mismatchExample(mismatch));
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
        notReplayable: [...this.notReplayable].map(([reason, calls]) => ({ reason, calls })),
        unverified: digestCounts(this.unverifiedDigests, names),
      },
      selfCheck: { checked: this.checked, mismatches: this.mismatches, examples: this.mismatchExamples },
      summary: { ...this.summary, calls: this.calls },
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
    const { summary } = this;
    summary.changed += 1;
    if (newlyAllowed) summary.newlyAllowed += 1;
    if (newlyBlocked) summary.newlyBlocked += 1;
    if (cascade) {
      summary.cascades += 1;
      (this.cascadeCells[row] as number[])[column] = ((this.cascadeCells[row] as number[])[column] ?? 0) + 1;
    }
    const change = { session: call.session, newlyAllowed, newlyBlocked, cascade };
    this.rules.add(this.ruleKey(call.recorded.rule, comparison.decision.rule), change);
    this.tools.add(call.tool, change);
    this.agents.add(call.agent, change);
    this.grants.add(call.grant, change);
    const cell = row * CATEGORIES.length + column;
    let reservoir = this.samples[cell];
    if (reservoir === undefined) {
      reservoir = new Reservoir(this.context.samplesPerCell, this.random);
      this.samples[cell] = reservoir;
    }
    reservoir.offer(() => callExample(comparison));
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
        const examples = [...(this.samples[row * CATEGORIES.length + column]?.items ?? [])].sort(
          (a, b) => a.at - b.at,
        );
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
    this.recordedDigests.set(run.digest, (this.recordedDigests.get(run.digest) ?? 0) + run.calls);
    run.calls = 0;
  }

  private count(counts: Map<string, number>, key: string): void {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

function digestCounts(counts: Map<string, number>, names: ReadonlyMap<string, string>) {
  return [...counts].map(([digest, calls]) => ({ digest, name: names.get(digest), calls }));
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
