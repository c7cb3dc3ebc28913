/** The benchmarks' hardware counts: perf's CSV output read, and machines that cannot count left out. */
import { expect, test } from "vitest";
import { parsePerfStat } from "../bench/counters.js";

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
