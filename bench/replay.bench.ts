/**
 * Replay speed: a generated week of 10 million recorded calls in the embedded ClickHouse, replayed
 * with a candidate against the live policy (self-check, candidate and cascade decisions for every
 * call), reading the columns replay uses. Memory is sampled per batch: a one-day window and the whole
 * week should peak alike (bounded, not growing with calls).
 *
 * The week is generated once with the real decider (so the self-check passes) and cached under
 * .cache/bench/; its rows carry the columns replay and forensics read, with `{}` as event JSON.
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import {
  type CompiledPolicy,
  type DecisionState,
  decide,
  evolve,
  initialState,
  loadPolicyFile,
} from "@tollgate/policy";
import {
  type ReplayOptions,
  type ReplayReport,
  runParallelReplay,
  runReplay,
  seededRandom,
  storeSource,
} from "@tollgate/replay";
import { openStore, type Store } from "@tollgate/store";
import { DECIDED_CALL_COLUMNS, decidedCallRow } from "../test/support/decided-rows.js";
import { startCounting, type WorkReading, workFigures } from "./counters.js";
import type { Figure } from "./policy.bench.js";

const CALLS = Number(process.env.TOLLGATE_BENCH_REPLAY_CALLS ?? 10_000_000);
const WEEK = 7 * 86_400_000;
const START = Date.UTC(2026, 10, 2);
const INSTANCES = 4;
const CHUNK = 250_000;

/** Tools by weight: reads dominate, pod exec is common and rate-limited, a few deletes and unknowns. */
const TOOL_MIX: [string, number][] = [
  ["k8s_get_resources", 55],
  ["k8s_pod_logs", 15],
  ["k8s_pod_exec", 12],
  ["k8s_describe_resource", 8],
  ["k8s_rollout_pause", 4],
  ["k8s_scale_resource", 2],
  ["k8s_delete_pod", 2],
  ["k8s_create_ns", 2],
];

export async function runReplayBench(): Promise<Figure[]> {
  const live = await loadPolicyFile("examples/policies/k8s.json");
  const candidate = await loadPolicyFile("examples/policies/k8s-loosened.json");
  const path = resolve(`.cache/bench/replay-week-${CALLS}-v2`);
  const fresh = !existsSync(join(path, "ready"));
  const store = await openStore({ path });
  try {
    const figures: Figure[] = [];
    if (fresh) figures.push(await generateWeek(store, live, path));
    const day = await timedReplay(store, live, candidate, {
      from: START + 3 * 86_400_000,
      to: START + 4 * 86_400_000,
    });
    const wholeWeek = { from: START, to: START + WEEK };
    const week = await timedReplay(store, live, candidate, wholeWeek);
    const parallel = await timedReplay(store, live, candidate, wholeWeek, availableParallelism());
    // As many as ran: a window with too few calls per worker replays on this thread instead.
    const threads = parallel.report.provenance.source.threads ?? 1;
    figures.push(
      {
        name: `replay a week (${(week.report.summary.calls / 1e6).toFixed(1)}M calls), chDB → decide`,
        value: week.report.summary.calls / week.seconds,
        unit: " calls/s",
        note: `one thread; ${week.seconds.toFixed(1)} s; self-check ${week.report.selfCheck.mismatches} mismatches; ${week.report.summary.changed} changed`,
      },
      {
        name:
          threads > 1
            ? `  the same on ${threads} worker threads`
            : "  the same, asked for worker threads (ran on one)",
        value: parallel.report.summary.calls / parallel.seconds,
        unit: " calls/s",
        note: `goal ≥ 1,000,000; ${parallel.seconds.toFixed(1)} s; self-check ${parallel.report.selfCheck.mismatches} mismatches; ${parallel.report.summary.changed} changed`,
      },
      {
        name: "replay one day of it",
        value: day.report.summary.calls / day.seconds,
        unit: " calls/s",
        note: `${(day.report.summary.calls / 1e6).toFixed(2)}M calls in ${day.seconds.toFixed(1)} s`,
      },
      ...workFigures(week.work, week.report.summary.calls, "call", "week: "),
      ...workFigures(parallel.work, parallel.report.summary.calls, "call", `week on ${threads} threads: `),
      { name: "peak live heap, one-day window", value: day.peakHeap, unit: "B" },
      { name: "peak live heap, whole week", value: week.peakHeap, unit: "B" },
      { name: "peak RSS, whole week", value: week.peakRss, unit: "B" },
      { name: `peak RSS, whole week on ${threads} threads`, value: parallel.peakRss, unit: "B" },
    );
    return figures;
  } finally {
    await store.close();
  }
}

async function timedReplay(
  store: Store,
  live: CompiledPolicy,
  candidate: CompiledPolicy,
  window: { from: number; to: number },
  /** Worker threads; without, the replay runs on this thread. */
  threads?: number,
): Promise<{
  report: ReplayReport;
  seconds: number;
  peakHeap: number;
  peakRss: number;
  work: WorkReading;
}> {
  globalThis.gc?.();
  let peakHeap = 0;
  let peakRss = 0;
  let batches = 0;
  // The live heap after a collection, every 100 batches of 8,192 calls (a collection per 0.8M
  // calls, about 1 % of the run's time): what replay holds, without the garbage not yet collected.
  const sample = () => {
    const collect = ++batches % 100 === 0;
    if (collect) globalThis.gc?.();
    const memory = process.memoryUsage();
    if (collect) peakHeap = Math.max(peakHeap, memory.heapUsed);
    peakRss = Math.max(peakRss, memory.rss);
  };
  const counting = await startCounting();
  const started = performance.now();
  const options: ReplayOptions = {
    candidate,
    baselines: [live],
    window,
    onProgress: sample,
    id: "bench",
    createdAt: Date.now(),
    tollgateVersion: "bench",
  };
  const report =
    threads === undefined
      ? await runReplay(storeSource(store), options)
      : await runParallelReplay(store, { ...options, threads });
  const seconds = (performance.now() - started) / 1000;
  const work = await counting.stop();
  sample();
  return { report, seconds, peakHeap, peakRss, work };
}

/** Decides the week with the live policy (one state per instance) and bulk-loads it. */
async function generateWeek(store: Store, live: CompiledPolicy, path: string): Promise<Figure> {
  const started = performance.now();
  const random = seededRandom(7);
  const states: DecisionState[] = Array.from({ length: INSTANCES }, () => initialState());
  const pick = weighted(TOOL_MIX);
  let lines: string[] = [];
  for (let index = 0; index < CALLS; index += 1) {
    const instance = index % INSTANCES;
    const at = START + Math.floor((index * WEEK) / CALLS);
    const session = Math.floor(index / (200 * INSTANCES)) * INSTANCES + instance;
    const agentIndex = session % 50;
    const identity = {
      agent: `agent-${agentIndex}`,
      grant: `grant-${agentIndex % 10}`,
      session: `session-${session}`,
    };
    const tool = pick(random());
    const args =
      tool === "k8s_pod_exec"
        ? {
            context: "prod-eu",
            pod_name: "web-1",
            command: random() < 0.01 ? "rm -rf /tmp/x" : "ls -la /var/log",
          }
        : { context: "prod-eu" };
    const call = { server: "k8s", tool, args, identity };
    const state = states[instance] as DecisionState;
    const decision = decide(live, state, call, at);
    evolve(state, decision);
    const id = uuidOf(index);
    lines.push(
      decidedCallRow({
        eventId: id,
        instance: `bench-gw-${instance}`,
        seq: Math.floor(index / INSTANCES),
        at,
        ...identity,
        callId: id,
        server: "k8s",
        tool,
        outcome: decision.outcome,
        rule: decision.rule,
        basis: decision.basis,
        digest: live.digest,
        approval: "",
        argumentsJson: JSON.stringify(args),
      }),
    );
    if (lines.length === CHUNK) {
      await store.bulkInsert(DECIDED_CALL_COLUMNS, lines.join(""));
      lines = [];
    }
  }
  if (lines.length > 0) await store.bulkInsert(DECIDED_CALL_COLUMNS, lines.join(""));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(path, "ready"), String(CALLS));
  const seconds = (performance.now() - started) / 1000;
  return {
    name: "generate the week (decide + bulk load, once, cached)",
    value: CALLS / seconds,
    unit: " calls/s",
    note: `${seconds.toFixed(0)} s`,
  };
}

function uuidOf(index: number): string {
  return `00000000-0000-7000-8000-${index.toString(16).padStart(12, "0")}`;
}

function weighted(mix: [string, number][]): (r: number) => string {
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  return (r) => {
    let left = r * total;
    for (const [tool, weight] of mix) {
      left -= weight;
      if (left < 0) return tool;
    }
    return mix[0]?.[0] ?? "";
  };
}
