/**
 * One replay, end to end: read the warm-up and the window from a source, fold every call through
 * the engine, and build the report. The shell's parts (the clock, the report id) come in as options.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { type CompiledPolicy, longestWindowMs } from "@tollgate/policy";
import { Replayer, type ReplayPolicies } from "./engine.js";
import { matchesFilter, type RecordedCall, type ReplayFilter, type ReplayWindow } from "./recorded.js";
import { type PolicyRef, type ReplayReport, type ReplaySource, ReportBuilder } from "./report.js";

export interface CallSource {
  /** Asked after reading, so it can say what was read (offsets, skipped messages). */
  describe(): ReplaySource;
  /**
   * The recorded first decisions and approval re-decisions in [from, to), in each gateway
   * instance's chain order, in batches. `readsArguments` says which tools' arguments are needed.
   * A source may reuse a batch and its call objects once the next batch is asked for: replay reads
   * each batch to its end first, and keeps copies of what it needs, never the objects.
   */
  calls(
    range: ReplayWindow,
    readsArguments: (server: string, tool: string) => boolean,
  ): AsyncIterable<RecordedCall[]>;
  /** Policy names by digest, as far as the source knows them (policy.loaded events). */
  policyNames(): Promise<ReadonlyMap<string, string>>;
  /**
   * For sources that leave event ids out of the bulk read: the ids of the few calls a report shows,
   * by instance and sequence number.
   */
  eventIds?(calls: readonly CallLocator[], range: ReplayWindow): Promise<ReadonlyMap<string, string>>;
}

/** A source that cannot be read as named (no such topic, broker, file): the user's input, exit 3. */
export class ReplaySourceError extends Error {}

export interface CallLocator {
  instance: string;
  seq: number;
}

export function locatorKey(call: CallLocator): string {
  return `${call.instance}\u001f${call.seq}`;
}

export interface ReplayProgress {
  phase: "warm-up" | "replay";
  calls: number;
  /** The recorded time reached, epoch ms. */
  at: number;
}

export interface ReplayOptions {
  candidate: CompiledPolicy;
  /** The policies that were live; the self-check needs the one of each recorded digest. */
  baselines: readonly CompiledPolicy[];
  window: ReplayWindow;
  filter?: ReplayFilter;
  seed?: number;
  samplesPerCell?: number;
  onProgress?: (progress: ReplayProgress) => void;
  /** Calls of an instance between two prunings of its counters (default 100,000); for tests. */
  pruneEvery?: number;
  /** Report metadata from the shell. */
  id: string;
  createdAt: number;
  tollgateVersion: string;
}

export const DEFAULT_SEED = 1;
export const DEFAULT_SAMPLES_PER_CELL = 5;

export async function runReplay(source: CallSource, options: ReplayOptions): Promise<ReplayReport> {
  const builder = reportBuilderFor(options);
  await foldCalls(source, options, builder);
  return finishReport(builder, source.describe(), source, options);
}

/** The calls of the window and its warm-up, from `source`, folded through the engine into `builder`. */
export async function foldCalls(
  source: CallSource,
  options: ReplayOptions,
  builder: ReportBuilder,
): Promise<void> {
  const replayer = new Replayer(policiesOf(options), builder, options.pruneEvery);
  const range = replayRange(options);
  const warmupFrom = range.from;
  let warmed = 0;
  let replayed = 0;
  for await (const batch of source.calls(range, (server, tool) => replayer.readsArguments(server, tool))) {
    for (const call of batch) {
      if (call.at < warmupFrom || call.at >= options.window.to) continue;
      if (call.at < options.window.from) {
        replayer.warm(call);
        warmed += 1;
      } else {
        replayer.replay(call);
        replayed += 1;
      }
    }
    // A turn of the event loop between batches lets the source's reads progress while replay
    // decides: chDB, for one, starts a query with parameters only after the one before it has
    // finished and the event loop has run. Without it the next slice's query waited until this
    // slice was decided, and replay idled a quarter of its time (docs/PERFORMANCE.md).
    await nextTurn();
    const last = batch[batch.length - 1];
    if (last !== undefined) {
      const inWindow = last.at >= options.window.from;
      options.onProgress?.({
        phase: inWindow ? "replay" : "warm-up",
        calls: inWindow ? replayed : warmed,
        at: last.at,
      });
    }
  }
}

/** A report builder for this replay, empty: `foldCalls` fills it, or `absorb` adds others' counts. */
export function reportBuilderFor(options: ReplayOptions): ReportBuilder {
  const filter = options.filter ?? {};
  return new ReportBuilder(
    {
      id: options.id,
      createdAt: options.createdAt,
      tollgateVersion: options.tollgateVersion,
      candidate: refOf(options.candidate),
      baselines: options.baselines.map(refOf),
      window: options.window,
      warmupFrom: replayRange(options).from,
      filter,
      seed: options.seed ?? DEFAULT_SEED,
      samplesPerCell: options.samplesPerCell ?? DEFAULT_SAMPLES_PER_CELL,
    },
    (call) => matchesFilter(call, filter),
  );
}

/**
 * The report from what `builder` counted: policy names and, for a source that read calls without
 * them, the examples' event ids come from `lookups`.
 */
export async function finishReport(
  builder: ReportBuilder,
  described: ReplaySource,
  lookups: Pick<CallSource, "policyNames" | "eventIds">,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const report = builder.build(await namesOf(lookups, options), described);
  return withEventIds(report, lookups, replayRange(options));
}

/** The window with its warm-up before it: one longest window of either policy. */
export function replayRange(options: ReplayOptions): ReplayWindow {
  return { from: options.window.from - warmupMs(options), to: options.window.to };
}

function policiesOf(options: ReplayOptions): ReplayPolicies {
  return {
    candidate: options.candidate,
    baselines: new Map(options.baselines.map((policy) => [policy.digest, policy])),
  };
}

/** Fills in the event ids of the examples when the source read calls without them. */
async function withEventIds(
  report: ReplayReport,
  source: Pick<CallSource, "eventIds">,
  range: ReplayWindow,
): Promise<ReplayReport> {
  const examples = [...report.transitions.flatMap((cell) => cell.examples), ...report.selfCheck.examples];
  const missing = examples.filter((example) => example.eventId === "");
  if (missing.length === 0 || source.eventIds === undefined) return report;
  const ids = await source.eventIds(missing, range);
  for (const example of missing) example.eventId = ids.get(locatorKey(example)) ?? "";
  return report;
}

/** One longest window of either policy: enough history to rebuild every counter at the start. */
function warmupMs(options: ReplayOptions): number {
  return Math.max(longestWindowMs(options.candidate), ...options.baselines.map(longestWindowMs));
}

function refOf(policy: CompiledPolicy): PolicyRef {
  return { name: policy.name, digest: policy.digest, source: policy.source };
}

async function namesOf(
  source: Pick<CallSource, "policyNames">,
  options: ReplayOptions,
): Promise<ReadonlyMap<string, string>> {
  const names = new Map(await source.policyNames());
  for (const policy of [options.candidate, ...options.baselines]) names.set(policy.digest, policy.name);
  return names;
}
