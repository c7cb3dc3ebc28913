/**
 * CPU time this process spends over a stretch of a benchmark, by kind of thread, from /proc. Unlike
 * perf's counts it needs no hardware counters (some virtual machines have none), and it says where
 * the time went: JavaScript's own thread, Node's other threads (V8's garbage collection helpers,
 * libuv), and ClickHouse's (chDB runs in this process: its merges apart from the rest). CPU time
 * still swings with the neighbours' load (a cache miss costs more when they thrash the caches), but
 * it counts no time spent waiting, so it tells where work went when events per second cannot.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { Figure } from "./policy.bench.js";

/** Clock ticks per second of /proc's times (USER_HZ): 100 on every Linux Node runs on. */
const TICKS_PER_SECOND = 100;

export type ThreadKind = "javascript" | "node" | "merges" | "clickhouse";

export type ThreadCpu = Record<ThreadKind | "all", number>;

export const THREAD_KIND_LABELS: Record<ThreadKind, string> = {
  javascript: "JavaScript thread",
  node: "Node's other threads",
  merges: "ClickHouse merges",
  clickhouse: "ClickHouse, other",
};

/**
 * A /proc `stat` line's name and CPU seconds (user + system). The name is in parentheses and may
 * itself hold spaces or parentheses, so the fields are counted from the last ')'.
 */
export function parseStat(line: string): { name: string; seconds: number } {
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${line.slice(0, 80)}`);
  // After the name: state is field 3; utime and stime are fields 14 and 15.
  const fields = line.slice(close + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`a /proc stat line without CPU times: ${line.slice(0, 80)}`);
  return { name: line.slice(open + 1, close), seconds: ticks / TICKS_PER_SECOND };
}

/** Node names its own threads `node` (V8's platform workers, libuv's pool); chDB's carry their pool's name. */
export function kindOf(name: string, isMain: boolean): ThreadKind {
  if (isMain) return "javascript";
  if (name === "node" || name.startsWith("libuv")) return "node";
  if (name.startsWith("MergeMutate")) return "merges";
  return "clickhouse";
}

/** The process's CPU seconds so far, by kind of live thread; `all` also counts threads that ended. */
export function readThreadCpu(): ThreadCpu | undefined {
  try {
    const cpu: ThreadCpu = { all: 0, javascript: 0, node: 0, merges: 0, clickhouse: 0 };
    for (const task of readdirSync("/proc/self/task")) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${task}/stat`, "utf8");
      } catch {
        continue; // the thread ended while the others were read
      }
      const { name, seconds } = parseStat(stat);
      cpu[kindOf(name, task === String(process.pid))] += seconds;
    }
    cpu.all = parseStat(readFileSync("/proc/self/stat", "utf8")).seconds;
    return cpu;
  } catch {
    return undefined; // no /proc here (not Linux): the benchmark goes on without the breakdown
  }
}

export function cpuBetween(start: ThreadCpu, end: ThreadCpu): ThreadCpu {
  return {
    all: end.all - start.all,
    javascript: end.javascript - start.javascript,
    node: end.node - start.node,
    merges: end.merges - start.merges,
    clickhouse: end.clickhouse - start.clickhouse,
  };
}

/** CPU per unit (event, call) in µs, all threads and by kind, as one figure line. */
export function cpuFigures(cpu: ThreadCpu | undefined, units: number, unit: string, label = ""): Figure[] {
  if (cpu === undefined || units === 0) return [];
  const perUnit = (seconds: number) => (seconds * 1e6) / units;
  const parts = (Object.keys(THREAD_KIND_LABELS) as ThreadKind[])
    .filter((kind) => cpu[kind] > 0)
    .map((kind) => `${THREAD_KIND_LABELS[kind]} ${perUnit(cpu[kind]).toFixed(2)}`);
  // Threads that ended before the reading (replay's worker threads) count only in `all`.
  const live = (Object.keys(THREAD_KIND_LABELS) as ThreadKind[]).reduce((sum, kind) => sum + cpu[kind], 0);
  const ended = cpu.all - live;
  if (perUnit(ended) >= 0.01) parts.push(`threads that ended (workers) ${perUnit(ended).toFixed(2)}`);
  return [
    {
      name: `  ${label}CPU per ${unit}, all threads`,
      value: perUnit(cpu.all),
      unit: " µs",
      note: parts.join(", "),
    },
  ];
}

/**
 * The rate every core of the machine would give at this CPU per unit, were they all busy with it,
 * and how much of that the run reached. The same code's CPU per unit swings with the neighbours'
 * load (Kafka ingest took 30-34 µs per event in one session and 41-54 µs in the next): below the
 * ceiling, the pipeline left cores idle; at it, only less CPU per unit or faster cores go further.
 * The JavaScript thread's busy share says whether it was the one that held the rest back.
 */
export function ceilingFigures(
  cpu: ThreadCpu | undefined,
  units: number,
  unit: string,
  seconds: number,
  label = "",
): Figure[] {
  if (cpu === undefined || units === 0 || cpu.all === 0 || seconds <= 0) return [];
  const cores = availableParallelism();
  const ceiling = (cores * units) / cpu.all;
  const reached = units / seconds / ceiling;
  const busy = cpu.javascript / seconds;
  return [
    {
      name: `  ${label}${cores} cores' ceiling at this CPU per ${unit}`,
      value: ceiling,
      unit: "/s",
      note: `reached ${percent(reached)} of it; the JavaScript thread was busy ${percent(busy)} of the time`,
    },
  ];
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}
