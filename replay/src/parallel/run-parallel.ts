/**
 * Replay over worker threads, one share of the gateway instances each. Each instance kept its own
 * counters, so its calls replay apart from every other instance's: a worker folds its instances'
 * calls through its own engine and report builder, and the main thread adds up what they counted.
 * The report is the one a single thread would make (report.ts: `absorb`), except that provenance
 * says how it was read.
 *
 * The main thread owns the store and answers the workers' reads; with chDB, the engine lives in
 * this process and runs each read on its own threads, so the main thread mostly waits.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CompiledPolicy } from "@tollgate/policy";
import type { ReplayWindow } from "../recorded.js";
import type { ReplayReport, ReportParts } from "../report.js";
import {
  DEFAULT_SAMPLES_PER_CELL,
  DEFAULT_SEED,
  finishReport,
  type ReplayOptions,
  type ReplayProgress,
  replayRange,
  reportBuilderFor,
  runReplay,
} from "../run.js";
import { addHistograms } from "../sources/slices.js";
import {
  type InstanceCalls,
  type KnownHours,
  type ReplayStore,
  storeInstanceCalls,
  storeSource,
} from "../sources/store.js";
import type { MainMessage, PolicyText, WorkerMessage, WorkerTask } from "./protocol.js";

export interface ParallelReplayOptions extends ReplayOptions {
  /** Worker threads at most; never more than the window has gateway instances. */
  threads: number;
  /** Rows per slice of each worker's reads (default: the store source's). */
  sliceRows?: number;
  /** Calls a worker must have at least to be worth starting (default CALLS_PER_WORKER); for tests. */
  callsPerWorker?: number;
}

/**
 * A worker takes a third to half a second to start (loading its modules, tsx and zod most), which
 * one thread spends replaying 250–400k calls: on the bench's traffic one day (1.43M calls) ran
 * slower on two workers than on one thread, the week (10M) about half again as fast. So each
 * worker gets at least this many.
 */
const CALLS_PER_WORKER = 1_000_000;

/**
 * Worker threads of a replay from the store when its caller names none (`tollgate replay`, the
 * API): one per core, since deciding is what bounds a replay; at most 4, so that a gate on a large
 * shared CI runner leaves it cores.
 */
export const DEFAULT_REPLAY_THREADS = Math.min(availableParallelism(), 4);

const WORKER_ENTRY = new URL("./worker-entry.mjs", import.meta.url);

/**
 * Replays the store's calls on up to `threads` worker threads. With one thread, a window of one
 * gateway instance or too few calls to be worth a worker's start, it is `runReplay` on this thread.
 */
export async function runParallelReplay(
  store: ReplayStore,
  options: ParallelReplayOptions,
): Promise<ReplayReport> {
  const source = storeSource(store, { sliceRows: options.sliceRows });
  const range = replayRange(options);
  const instances = await storeInstanceCalls(store, range);
  const calls = instances.reduce((sum, instance) => sum + instance.calls, 0);
  const worthStarting = Math.floor(calls / (options.callsPerWorker ?? CALLS_PER_WORKER));
  const shares = shareOut(instances, Math.min(options.threads, worthStarting));
  if (shares.length <= 1) return runReplay(source, options);
  const parts = await runWorkers(store, shares, range, options);
  const builder = reportBuilderFor(options);
  for (const part of parts) builder.absorb(part);
  const described = source.describe();
  return finishReport(
    builder,
    {
      ...described,
      detail: `${described.detail}, gateway instances shared out to ${shares.length} threads`,
      threads: shares.length,
    },
    source,
    options,
  );
}

/** Instances (busiest first) to the share with the fewest calls so far: shares of about equal work. */
function shareOut(instances: readonly InstanceCalls[], threads: number): InstanceCalls[][] {
  const shares = Array.from({ length: Math.max(1, Math.min(threads, instances.length)) }, () => ({
    instances: [] as InstanceCalls[],
    calls: 0,
  }));
  const busiestFirst = [...instances].sort((a, b) => b.calls - a.calls);
  for (const instance of busiestFirst) {
    const lightest = shares.reduce((least, share) => (share.calls < least.calls ? share : least));
    lightest.instances.push(instance);
    lightest.calls += instance.calls;
  }
  return shares.map((share) => share.instances).filter((share) => share.length > 0);
}

/** Every share's parts; the first failure stops every worker and is the replay's error. */
async function runWorkers(
  store: ReplayStore,
  shares: InstanceCalls[][],
  range: ReplayWindow,
  options: ParallelReplayOptions,
): Promise<ReportParts[]> {
  const progress = new ProgressOfShares(shares.length, options.onProgress);
  const workers: Worker[] = [];
  try {
    return await Promise.all(
      shares.map((share, index) => {
        const worker = new Worker(WORKER_ENTRY, { workerData: taskOf(options, share, range, store) });
        workers.push(worker);
        return partsOf(worker, store, (reached) => progress.report(index, reached));
      }),
    );
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}

function partsOf(
  worker: Worker,
  store: ReplayStore,
  onProgress: (progress: ReplayProgress) => void,
): Promise<ReportParts> {
  return new Promise((resolve, reject) => {
    // A read the store refused: the worker fails on it, and the replay fails with the store's own
    // error (a StoreUnavailableError says what to check), not the worker's retelling of it.
    let refusal: unknown;
    let settled = false;
    const fail = (error: unknown) => {
      settled = true;
      reject(refusal ?? error);
    };
    worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "query":
          answer(worker, store, message).catch((error: unknown) => {
            refusal ??= error;
          });
          return;
        case "progress":
          onProgress(message.progress);
          return;
        case "done":
          settled = true;
          resolve(message.parts);
          return;
        case "failed":
          fail(new Error(message.message));
      }
    });
    worker.on("error", fail);
    worker.on("exit", (code) => {
      if (!settled) fail(new Error(`a replay worker stopped (exit code ${code}) before it finished`));
    });
  });
}

/** Runs a worker's read on the store and sends the answer back; rejects when the store refused it. */
async function answer(
  worker: Worker,
  store: ReplayStore,
  query: Extract<WorkerMessage, { type: "query" }>,
): Promise<void> {
  let result: unknown;
  try {
    result =
      query.method === "select"
        ? await store.select(query.query, query.params)
        : await store.selectBinary(query.query, query.params, query.format);
  } catch (error) {
    send(worker, {
      type: "refused",
      id: query.id,
      message: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  if (result instanceof Uint8Array) {
    const owned = ownedBytes(result);
    send(worker, { type: "answer", id: query.id, result: owned }, [owned.buffer as ArrayBuffer]);
  } else {
    send(worker, { type: "answer", id: query.id, result });
  }
}

function send(worker: Worker, message: MainMessage, transfer: ArrayBuffer[] = []): void {
  worker.postMessage(message, transfer);
}

/**
 * Bytes that own their whole buffer, so that it can be moved to the worker instead of copied. A
 * result that is a view into a larger or shared buffer (a pooled Buffer) is copied first.
 */
function ownedBytes(bytes: Uint8Array): Uint8Array {
  if (
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength &&
    bytes.buffer instanceof ArrayBuffer
  )
    return bytes;
  return new Uint8Array(bytes);
}

function taskOf(
  options: ParallelReplayOptions,
  share: readonly InstanceCalls[],
  range: ReplayWindow,
  store: ReplayStore,
): WorkerTask {
  // The share's histogram, from the query that shared the instances out: no query of its own.
  const hours: KnownHours = { range, hours: addHistograms(share.map((instance) => instance.hours)) };
  return {
    candidate: textOf(options.candidate),
    baselines: options.baselines.map(textOf),
    window: options.window,
    filter: options.filter ?? {},
    seed: options.seed ?? DEFAULT_SEED,
    samplesPerCell: options.samplesPerCell ?? DEFAULT_SAMPLES_PER_CELL,
    pruneEvery: options.pruneEvery,
    id: options.id,
    createdAt: options.createdAt,
    tollgateVersion: options.tollgateVersion,
    instances: share.map((instance) => instance.instance),
    hours,
    sliceRows: options.sliceRows,
    target: store.target,
  };
}

function textOf(policy: CompiledPolicy): PolicyText {
  return { doc: policy.doc, source: policy.source, digest: policy.digest };
}

/**
 * The shares' progress as one: the calls every share has done in the phase they are all in (the
 * window once every share has reached it), at the earliest recorded time any share has reached.
 */
class ProgressOfShares {
  private readonly latest: (ReplayProgress | undefined)[];

  constructor(
    shares: number,
    private readonly onProgress: ((progress: ReplayProgress) => void) | undefined,
  ) {
    this.latest = Array.from({ length: shares }, () => undefined);
  }

  report(share: number, progress: ReplayProgress): void {
    this.latest[share] = progress;
    if (this.onProgress === undefined) return;
    const known = this.latest.filter((reached) => reached !== undefined);
    const inWindow =
      known.length === this.latest.length && known.every((reached) => reached.phase === "replay");
    const phase = inWindow ? "replay" : "warm-up";
    const calls = known.reduce((sum, reached) => sum + (reached.phase === phase ? reached.calls : 0), 0);
    const at = Math.min(...known.map((reached) => reached.at));
    this.onProgress({ phase, calls, at });
  }
}
