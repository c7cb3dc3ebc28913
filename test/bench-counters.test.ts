/** The benchmarks' work counts: perf's CSV output and /proc's CPU times read, and machines that cannot count left out. */
import { availableParallelism } from "node:os";
import { expect, test } from "vitest";
import { parsePerfStat } from "../bench/counters.js";
import {
  ceilingFigures,
  cpuBetween,
  cpuFigures,
  kindOf,
  parseMachineTicks,
  parseStat,
  readMachineTicks,
  readThreadCpu,
  stealBetween,
  type ThreadCpu,
} from "../bench/thread-cpu.js";

test("reads instructions and cycles from perf stat's CSV output", () => {
  const text = [
    "",
    "9256566353,,instructions,1170807447,100.00,3.44,insn per cycle",
    "2688730384,,cycles,1170807447,100.00,,",
    "",
  ].join("\n");
  expect(parsePerfStat(text)).toEqual({ instructions: 9_256_566_353, cycles: 2_688_730_384 });
});

test("a count perf could not take, or no output at all, gives no reading", () => {
  expect(parsePerfStat("<not supported>,,instructions,0,100.00,,\n2688730384,,cycles,1,100.00,,")).toBe(
    undefined,
  );
  expect(parsePerfStat("")).toBe(undefined);
});

test("user-space-only event names (instructions:u) count the same", () => {
  expect(parsePerfStat("10,,instructions:u,1,100.00,,\n20,,cycles:u,1,100.00,,")).toEqual({
    instructions: 10,
    cycles: 20,
  });
});

test("reads a thread's name and CPU seconds from a /proc stat line, whatever its name holds", () => {
  // pid (comm) state ppid … utime stime …: utime 250 and stime 50 ticks are 3 s at 100 ticks a second.
  const line = "4242 (Merge (Mutate) 3) S 1 4242 4242 0 -1 4194368 100 0 0 0 250 50 0 0 20 0 9 0";
  expect(parseStat(line)).toEqual({ name: "Merge (Mutate) 3", seconds: 3 });
  expect(() => parseStat("not a stat line")).toThrow("not a /proc stat line");
});

test("sorts threads into JavaScript's, Node's other threads and ClickHouse's, merges apart", () => {
  expect(kindOf("node", true)).toBe("javascript");
  expect(kindOf("node", false)).toBe("node");
  expect(kindOf("MergeMutate", false)).toBe("merges");
  expect(kindOf("ThreadPool", false)).toBe("clickhouse");
});

test("this process's CPU by kind of thread: the JavaScript thread's share grows with its own work", () => {
  const start = readThreadCpu();
  expect(start).toBeDefined(); // vitest runs on Linux here: /proc is there
  const until = performance.now() + 300;
  let spin = 0;
  while (performance.now() < until) spin += 1;
  const cpu = cpuBetween(start as ThreadCpu, readThreadCpu() as ThreadCpu);
  expect(spin).toBeGreaterThan(0);
  expect(cpu.javascript).toBeGreaterThan(0.1);
  // The process's total and its threads are read one after the other, each to a tick (10 ms).
  expect(cpu.all).toBeGreaterThanOrEqual(cpu.javascript - 0.02);
  const [figure] = cpuFigures(cpu, 1000, "call");
  expect(figure?.name).toContain("CPU per call");
  expect(figure?.note).toContain("JavaScript thread");
});

test("the cores' ceiling is what every core would do at the run's CPU per unit, and how much of it the run reached", () => {
  const cores = availableParallelism();
  // 100,000 events for 4 s of CPU in all (40 µs each) over a run of 5 s; 2 s of it on the JavaScript thread.
  const cpu: ThreadCpu = { all: 4, javascript: 2, node: 1, merges: 0.5, clickhouse: 0.5 };
  const [figure] = ceilingFigures(cpu, 100_000, "event", 5);
  expect(figure?.name).toBe(`  ${cores} cores' ceiling at this CPU per event`);
  expect(figure?.value).toBeCloseTo(cores * 25_000);
  // 20,000 events/s against the ceiling; the JavaScript thread ran 2 s of 5.
  expect(figure?.note).toBe(
    `reached ${Math.round((20_000 / (cores * 25_000)) * 100)} % of it; the JavaScript thread was busy 40 % of the time`,
  );
  const [stolen] = ceilingFigures(cpu, 100_000, "event", 5, "", 0.126);
  expect(stolen?.note).toMatch(/; 13 % of the cores' time was stolen by other guests$/);
  expect(ceilingFigures(undefined, 100_000, "event", 5)).toEqual([]);
  expect(ceilingFigures(cpu, 0, "event", 5)).toEqual([]);
});

test("the machine's stolen time: /proc/stat's cpu line read, and the share stolen between two readings", () => {
  // user nice system idle iowait irq softirq steal guest guest_nice
  const start = parseMachineTicks("cpu  100 0 50 800 10 0 5 35 0 0");
  expect(start).toEqual({ total: 1000, steal: 35 });
  const end = parseMachineTicks("cpu  300 0 90 1300 10 0 5 95 0 0");
  expect(stealBetween(start, end)).toBeCloseTo(60 / 800);
  expect(stealBetween(start, start)).toBe(0);
  expect(() => parseMachineTicks("cpu0 1 2 3")).toThrow("not /proc/stat's cpu line");
  expect(readMachineTicks()?.total).toBeGreaterThan(0); // Linux here: /proc is there
});
