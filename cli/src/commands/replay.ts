/**
 * `tollgate replay`: what would this candidate policy have done to recorded traffic? Reads the
 * window from the store (default), a spool, an events file, or asks a running API (which holds the
 * embedded store while `tollgate up` runs), then prints the report and exits by its verdict:
 * 0 pass, 1 a threshold breached, 2 self-check or coverage failed, 3 usage or input error.
 */
import { randomUUID } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { createKafka, KafkaLogLevel } from "@tollgate/bus";
import { GATEWAY_VERSION } from "@tollgate/gateway";
import { type CompiledPolicy, formatProblem, readPolicyFile } from "@tollgate/policy";
import {
  type CallSource,
  DEFAULT_REPLAY_THREADS,
  eventsFileSource,
  judge,
  kafkaSource,
  parseThreshold,
  type ReplayFilter,
  type ReplayOptions,
  type ReplayProgress,
  type ReplayReport,
  ReplaySourceError,
  type ReplayWindow,
  type ReportFormat,
  renderReport,
  reportRecord,
  runParallelReplay,
  runReplay,
  spoolSource,
  type Threshold,
  ThresholdError,
  type Verdict,
} from "@tollgate/replay";
import { openStore, type Store, storeOptionsFromEnv } from "@tollgate/store";
import { ExitCode, UsageError } from "../exit-codes.js";
import type { Output } from "../output.js";
import { brokersOf } from "./kafka.js";
import { type ReplayWindowOptions, windowOf } from "./replay-window.js";

export interface ReplaySourceOptions {
  store: string;
  spool?: string;
  events?: string;
  kafka?: string;
  kafkaTopic?: string;
  api?: string;
  tokenEnv: string;
}

export interface ReplayCommandOptions extends ReplayWindowOptions, ReplaySourceOptions, ReplayFilter {
  policy: string;
  baseline?: string[];
  format: ReportFormat;
  output?: string;
  failOn?: string[];
  minCoverage: number;
  seed?: number;
  samples?: number;
  /** Worker threads for a replay from the store (default: DEFAULT_REPLAY_THREADS). */
  threads?: number;
  save?: boolean;
  progress?: boolean;
}

export interface ReplayOutcome {
  report: ReplayReport;
  verdict: Verdict;
}

export async function replayCommand(options: ReplayCommandOptions, output: Output): Promise<number> {
  const candidate = await policyOrProblems(options.policy, output);
  const baselines = await Promise.all((options.baseline ?? []).map((file) => policyOrProblems(file, output)));
  if (candidate === undefined || baselines.includes(undefined)) return ExitCode.usage;
  const outcome = await replayAndJudge(candidate, baselines as CompiledPolicy[], options);
  await emit(renderReport(outcome.report, options.format), options.output, output);
  if (options.output !== undefined) output.err(verdictLine(outcome.verdict));
  return exitCodeOf(outcome.verdict);
}

export async function replayAndJudge(
  candidate: CompiledPolicy,
  baselines: CompiledPolicy[],
  options: ReplayCommandOptions,
): Promise<ReplayOutcome> {
  const thresholds = thresholdsOf(options.failOn ?? []);
  const window = windowOf(options, Date.now());
  const judged = (report: ReplayReport): ReplayOutcome => {
    const verdict = judge(report, thresholds, options.minCoverage / 100);
    return { report: { ...report, verdict }, verdict };
  };
  return sourceKind(options) !== "api"
    ? replayLocally(candidate, baselines, window, options, judged)
    : judged(await replayThroughApi(options.api as string, window, options));
}

export function exitCodeOf(verdict: Verdict): number {
  return { pass: ExitCode.ok, fail: ExitCode.failed, invalid: ExitCode.invalidInput }[verdict.result];
}

export function verdictLine(verdict: Verdict): string {
  return [
    `replay: ${verdict.result.toUpperCase()}`,
    ...verdict.reasons.map((reason) => `  - ${reason}`),
  ].join("\n");
}

async function replayLocally(
  candidate: CompiledPolicy,
  baselines: CompiledPolicy[],
  window: ReplayWindow,
  options: ReplayCommandOptions,
  judged: (report: ReplayReport) => ReplayOutcome,
): Promise<ReplayOutcome> {
  const store = sourceKind(options) === "store" ? await openReplayStore(options.store) : undefined;
  const progress = options.progress === true && process.stderr.isTTY ? progressPrinter(window) : undefined;
  try {
    const replayOptions: ReplayOptions = {
      candidate,
      baselines,
      window,
      filter: filterOf(options),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      ...(options.samples === undefined ? {} : { samplesPerCell: options.samples }),
      ...(progress === undefined ? {} : { onProgress: progress.update }),
      id: randomUUID(),
      createdAt: Date.now(),
      tollgateVersion: GATEWAY_VERSION,
    };
    const report = await asUsageError(
      store !== undefined
        ? runParallelReplay(store, { ...replayOptions, threads: options.threads ?? DEFAULT_REPLAY_THREADS })
        : runReplay(otherSource(options), replayOptions),
    );
    progress?.done();
    // Judged before it is saved, so that the stored report carries its verdict.
    const outcome = judged(report);
    if (options.save === true && store !== undefined)
      await store.saveReplayReport(reportRecord(outcome.report));
    return outcome;
  } finally {
    await store?.close();
  }
}

/** A source that cannot be read as named is the user's input: exit 3 with its reason. */
async function asUsageError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ReplaySourceError) throw new UsageError(error.message);
    throw error;
  }
}

type SourceKind = "store" | "spool" | "events" | "kafka" | "api";

/** Which one source the options name; naming two is a usage error rather than a silent choice. */
export function sourceKind(options: ReplaySourceOptions): SourceKind {
  const named = (["spool", "events", "kafka", "api"] as const).filter((kind) => options[kind] !== undefined);
  if (named.length > 1) {
    throw new UsageError(
      `replay reads one source: ${named.map((kind) => `--${kind}`).join(" and ")} were both given`,
    );
  }
  return named[0] ?? "store";
}

function otherSource(options: ReplaySourceOptions): CallSource {
  if (options.spool !== undefined) return spoolSource(options.spool);
  if (options.events !== undefined) return eventsFileSource(options.events);
  if (options.kafka !== undefined) {
    return kafkaSource({
      // The source's own error names the broker and topic; kafkajs's retry log would only repeat it.
      kafka: createKafka({
        brokers: brokersOf(options.kafka),
        clientId: "tollgate-replay",
        logLevel: KafkaLogLevel.NOTHING,
      }),
      brokers: options.kafka,
      topic: options.kafkaTopic ?? "tollgate.events",
    });
  }
  throw new Error("replay: no source other than the store was named");
}

async function openReplayStore(directory: string): Promise<Store> {
  try {
    return await openStore(storeOptionsFromEnv(directory));
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const locked = /lock/i.test(message)
      ? " (is `tollgate up` running? then pass --api http://127.0.0.1:8788)"
      : "";
    throw new UsageError(`cannot open the store: ${message}${locked}`);
  }
}

/** The API runs the replay next to its store and returns the report; the verdict is judged here. */
async function replayThroughApi(
  api: string,
  window: ReplayWindow,
  options: ReplayCommandOptions,
): Promise<ReplayReport> {
  const token = process.env[options.tokenEnv];
  if (token === undefined || token === "") {
    throw new UsageError(`--api needs a token: set ${options.tokenEnv} (or pass --token-env VAR)`);
  }
  const body = {
    candidate: { file: options.policy, text: await readFile(options.policy, "utf8") },
    baselines: await Promise.all(
      (options.baseline ?? []).map(async (file) => ({ file, text: await readFile(file, "utf8") })),
    ),
    from: window.from,
    to: window.to,
    filter: filterOf(options),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  // Relative to the API's own path, so an API behind a prefix (https://host/tollgate/) keeps it.
  const url = new URL("api/v1/replays", api.endsWith("/") ? api : `${api}/`);
  const response = await fetch(url, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  }).catch((error: unknown) => {
    throw new UsageError(
      `cannot reach the API at ${url.origin}: ${error instanceof Error ? error.message : String(error)}`,
    );
  });
  const answer = (await response.json().catch(() => ({}))) as { report?: ReplayReport; message?: string };
  if (!response.ok || answer.report === undefined) {
    throw new UsageError(
      `the API refused the replay (HTTP ${response.status}): ${answer.message ?? "no report in the answer"}`,
    );
  }
  return answer.report;
}

async function policyOrProblems(file: string, output: Output): Promise<CompiledPolicy | undefined> {
  const loaded = await readPolicyFile(file);
  if (loaded.ok) return loaded.policy;
  for (const problem of loaded.problems) output.err(formatProblem(problem));
  return undefined;
}

function thresholdsOf(texts: readonly string[]): Threshold[] {
  try {
    return texts.map(parseThreshold);
  } catch (error) {
    if (error instanceof ThresholdError) throw new UsageError(error.message);
    throw error;
  }
}

function filterOf(options: ReplayFilter): ReplayFilter {
  const filter: ReplayFilter = {};
  for (const key of ["agent", "grant", "session", "server", "tool"] as const) {
    const value = options[key];
    if (value !== undefined) filter[key] = value;
  }
  return filter;
}

async function emit(text: string, file: string | undefined, output: Output): Promise<void> {
  if (file === undefined) output.out(text);
  else await writeFile(file, text);
}

/** One status line on a terminal's stderr, rewritten in place while reading and deciding. */
function progressPrinter(window: ReplayWindow) {
  let last = 0;
  return {
    update(progress: ReplayProgress) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      const share = Math.min(1, Math.max(0, (progress.at - window.from) / (window.to - window.from)));
      const bar = "#".repeat(Math.round(share * 30)).padEnd(30, ".");
      process.stderr.write(`\r${progress.phase} [${bar}] ${progress.calls} calls`);
    },
    done() {
      process.stderr.write("\r\u001b[K");
    },
  };
}
