/**
 * The work this process does over a stretch of a benchmark: CPU time by kind of thread (from /proc,
 * thread-cpu.ts), and instructions and cycles from `perf stat` where the machine can count them.
 * On a shared machine events per second swing with the neighbours' load: the same code did 29k and
 * then 44k Kafka events/s within an hour. Instructions per event stayed within about 3 % for the
 * same code side by side (up to 10 % under the heaviest contention), so they tell a change in the
 * code from a change in the machine (docs/PERFORMANCE.md, pipeline steps 16–19).
 */
import { spawn } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import type { Figure } from "./policy.bench.js";
import {
  ceilingFigures,
  cpuBetween,
  cpuFigures,
  readMachineTicks,
  readThreadCpu,
  stealBetween,
  type ThreadCpu,
} from "./thread-cpu.js";

export interface CounterReading {
  instructions: number;
  cycles: number;
}

export interface WorkReading {
  /** Undefined where perf is missing or cannot count here (a virtual machine without counters). */
  counts: CounterReading | undefined;
  /** Undefined where there is no /proc. */
  cpu: ThreadCpu | undefined;
  /** Wall-clock seconds of the stretch. */
  seconds: number;
  /** The share of the machine's time the host gave to other guests; undefined where there is no /proc. */
  steal: number | undefined;
}

export interface Counting {
  /** The work since `startCounting`. */
  stop(): Promise<WorkReading>;
}

/** perf needs a moment to attach; the stretch it misses is before the benchmark's own timer starts. */
const ATTACH_MS = 200;

export async function startCounting(): Promise<Counting> {
  let output = "";
  const perf = spawn("perf", ["stat", "-x", ",", "-e", "instructions,cycles", "-p", String(process.pid)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  perf.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString("utf8");
  });
  // No perf on this machine: no output, so no reading, and the benchmark goes on without counts.
  const exited = new Promise<void>((resolve) => {
    perf.on("close", () => resolve());
    perf.on("error", () => resolve());
  });
  await sleep(ATTACH_MS);
  const cpuAtStart = readThreadCpu();
  const machineAtStart = readMachineTicks();
  const startedAt = performance.now();
  return {
    async stop() {
      const cpuAtEnd = readThreadCpu();
      const machineAtEnd = readMachineTicks();
      const seconds = (performance.now() - startedAt) / 1000;
      perf.kill("SIGINT");
      await exited;
      const cpu = cpuAtStart && cpuAtEnd ? cpuBetween(cpuAtStart, cpuAtEnd) : undefined;
      const steal = machineAtStart && machineAtEnd ? stealBetween(machineAtStart, machineAtEnd) : undefined;
      return { counts: parsePerfStat(output), cpu, seconds, steal };
    },
  };
}

/**
 * `perf stat -x ,` output: one line per event, `value,unit,event,…`. Undefined unless both counts
 * are numbers (perf writes `<not supported>` or `<not counted>` where the machine cannot count).
 */
export function parsePerfStat(text: string): CounterReading | undefined {
  const counts = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [value, , event] = line.split(",");
    if (event === undefined || value === undefined || value.trim() === "") continue;
    counts.set(event.replace(/:u$/, ""), Number(value));
  }
  const instructions = counts.get("instructions");
  const cycles = counts.get("cycles");
  if (!Number.isFinite(instructions) || !Number.isFinite(cycles)) return undefined;
  return { instructions: instructions as number, cycles: cycles as number };
}

/** The work per unit (event, call) as figure lines: CPU time, and perf's counts where it could count. */
export function workFigures(reading: WorkReading, units: number, unit: string, label = ""): Figure[] {
  return [
    ...cpuFigures(reading.cpu, units, unit, label),
    ...ceilingFigures(reading.cpu, units, unit, reading.seconds, label, reading.steal),
    ...countFigures(reading.counts, units, unit, label),
  ];
}

function countFigures(
  reading: CounterReading | undefined,
  units: number,
  unit: string,
  label: string,
): Figure[] {
  if (reading === undefined || units === 0) return [];
  return [
    {
      name: `  ${label}instructions per ${unit} (perf, all threads)`,
      value: reading.instructions / units,
      unit: "",
      note: `${Math.round(reading.cycles / units).toLocaleString("en-US")} cycles per ${unit}`,
    },
  ];
}
