/** Runs a replay over calls held in memory: the engine and report without any store. */
import type { CompiledPolicy } from "@tollgate/policy";
import { compilePolicy } from "@tollgate/policy";
import {
  type CallSource,
  type RecordedCall,
  type ReplayFilter,
  type ReplayReport,
  type ReplayWindow,
  runReplay,
} from "../../src/index.js";

export function memorySource(calls: readonly RecordedCall[]): CallSource {
  return {
    describe: () => ({ kind: "events-file", detail: "memory" }),
    async *calls(range) {
      yield calls.filter((call) => call.at >= range.from && call.at < range.to);
    },
    policyNames: async () => new Map(),
  };
}

export function replayInMemory(
  calls: readonly RecordedCall[],
  options: {
    candidate: CompiledPolicy;
    baselines: CompiledPolicy[];
    window: ReplayWindow;
    filter?: ReplayFilter;
    seed?: number;
    pruneEvery?: number;
  },
): Promise<ReplayReport> {
  return runReplay(memorySource(calls), {
    ...options,
    id: "test",
    createdAt: 0,
    tollgateVersion: "test",
  });
}

export function policyOf(doc: unknown, file = "policy.json"): CompiledPolicy {
  const result = compilePolicy(doc, file);
  if (!result.ok) throw new Error(`test policy is invalid: ${JSON.stringify(result.problems)}`);
  return result.policy;
}
