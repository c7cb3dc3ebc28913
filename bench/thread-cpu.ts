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

/** The machine's CPU ticks since boot, all cores together: all of them, and those stolen. */
export interface MachineTicks {
  total: number;
  steal: number;
}

/**
 * `/proc/stat`'s first line (`cpu user nice system idle iowait irq softirq steal …`): steal is
 * time the hypervisor gave this machine's virtual cores to other guests. Undefined without /proc.
 */
export function readMachineTicks(): MachineTicks | undefined {
  try {
    return parseMachineTicks(readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "");
  } catch {
    return undefined;
  }
}

export function parseMachineTicks(line: string): MachineTicks {
  const [label, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.slice(0, 8).map(Number);
  if (label !== "cpu" || ticks.length < 8 || !ticks.every(Number.isFinite)) {
    throw new Error(`not /proc/stat's cpu line: ${line.slice(0, 80)}`);
  }
  return { total: ticks.reduce((sum, value) => sum + value, 0), steal: ticks[7] as number };
}

/** The share of the machine's time stolen between two readings (0 when no time passed). */
export function stealBetween(start: MachineTicks, end: MachineTicks): number {
  const total = end.total - start.total;
  return total > 0 ? (end.steal - start.steal) / total : 0;
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
 * The JavaScript thread's busy share says whether it was the one that held the rest back, and the
 * time stolen by the host's other guests (`steal`, where known) whether the cores were there at all:
 * in the eleventh session's runs it swung from 0 to 37 % within one bench run.
 */
export function ceilingFigures(
  cpu: ThreadCpu | undefined,
  units: number,
  unit: string,
  seconds: number,
  label = "",
  steal?: number,
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
      note:
        `reached ${percent(reached)} of it; the JavaScript thread was busy ${percent(busy)} of the time` +
        (steal === undefined ? "" : `; ${percent(steal)} of the cores' time was stolen by other guests`),
    },
  ];
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}
