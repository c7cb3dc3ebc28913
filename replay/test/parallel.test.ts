/**
 * Replay on worker threads against one thread, over the real embedded ClickHouse: calls of four
 * gateway instances, decided by the real decider with rate limits biting and calls held for
 * approval, are stored; a candidate with a looser limit is replayed on one thread and on two and
 * three workers. The reports must be the same, number for number and example for example; only
 * the provenance says how the calls were read. A store that fails a worker's read fails the
 * replay with the store's own error.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompiledPolicy } from "@tollgate/policy";
import { openStore, type Store } from "@tollgate/store";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DECIDED_CALL_COLUMNS, decidedCallRow } from "../../test/support/decided-rows.js";
import {
  type RecordedCall,
  type ReplayOptions,
  type ReplayReport,
  type ReplayStore,
  runParallelReplay,
  runReplay,
  seededRandom,
  storeSource,
} from "../src/index.js";
import { LiveGateway } from "./support/live.js";
import { policyOf } from "./support/replay.js";

const MINUTE = 60_000;
const BURST = 80;
const START = Date.UTC(2026, 10, 2, 8);
const WINDOW = { from: START + 2 * MINUTE, to: START + 60 * MINUTE };
const INSTANCES = ["gw-a", "gw-b", "gw-c", "gw-d"];
const TOOLS = [
  "k8s_get_resources",
  "k8s_get_resources",
  "k8s_get_resources",
  "k8s_pod_exec",
  "k8s_pod_exec",
  "k8s_pod_exec",
  "k8s_scale_resource",
  "k8s_delete_pod",
];

let directory: string;
let store: Store;
let live: CompiledPolicy;
let candidate: CompiledPolicy;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "tollgate-parallel-replay-"));
  store = await openStore({ path: join(directory, "store") });
  live = policyOf(JSON.parse(await readFile("examples/policies/k8s.json", "utf8")), "k8s.json");
  candidate = policyOf(
    JSON.parse(await readFile("examples/policies/k8s-loosened.json", "utf8")),
    "k8s-loosened.json",
  );
  const calls = INSTANCES.flatMap((instance, index) => recordedTraffic(live, instance, index));
  await store.bulkInsert(DECIDED_CALL_COLUMNS, calls.map(rowOf).join(""));
});

afterAll(async () => {
  await store?.close();
  await rm(directory, { recursive: true, force: true });
});

/**
 * A burst of 80 calls in 0.8 s a minute, each burst a session: pod exec beyond its limit of 10 a
 * minute per grant, and scale calls held for approval. The candidate's looser pod exec limit lets
 * a burst's session past 50 calls a second: the calls after that are cascades.
 */
function recordedTraffic(policy: CompiledPolicy, instance: string, index: number): RecordedCall[] {
  const gateway = new LiveGateway(policy, instance);
  const random = seededRandom(100 + index);
  // Instances of unequal size, so that sharing them out has something to balance.
  const calls = 900 + index * 350;
  for (let n = 0; n < calls; n += 1) {
    const burst = Math.floor(n / BURST);
    const session = `${instance}-session-${burst}`;
    const agent = `agent-${burst % 3}`;
    const tool = TOOLS[Math.floor(random() * TOOLS.length)] as string;
    gateway.handle(
      {
        at: START + burst * MINUTE + (n % BURST) * 10,
        call: {
          server: "k8s",
          tool,
          args: { context: "prod-eu", command: random() < 0.05 ? "rm -rf /" : "ls" },
          identity: { agent, grant: `grant-${burst % 2}`, session },
        },
        approve: random() < 0.5,
      },
      `${instance}-call-${n}`,
    );
  }
  return gateway.recorded;
}

function rowOf(call: RecordedCall): string {
  const number = INSTANCES.indexOf(call.instance) * 1_000_000 + call.seq;
  return decidedCallRow({
    ...call,
    eventId: `00000000-0000-7000-8000-${number.toString(16).padStart(12, "0")}`,
    ...call.recorded,
    approval: call.approved ? "granted" : "",
    argumentsJson: call.argumentsJson ?? "{}",
  });
}

function options(): ReplayOptions {
  return {
    candidate,
    baselines: [live],
    window: WINDOW,
    samplesPerCell: 3,
    id: "parallel-test",
    createdAt: 0,
    tollgateVersion: "test",
  };
}

/** The report without the line that says how it was read. */
function withoutSource(report: ReplayReport) {
  const { source: _source, ...provenance } = report.provenance;
  return { ...report, provenance };
}

describe("replay on worker threads", () => {
  let sequential: ReplayReport;

  beforeAll(async () => {
    sequential = await runReplay(storeSource(store), options());
  });

  test("the traffic exercises what a merge must get right", () => {
    expect(sequential.selfCheck.mismatches).toBe(0);
    expect(sequential.coverage.approvals).toBeGreaterThan(0);
    expect(sequential.summary.newlyAllowed).toBeGreaterThan(0);
    expect(sequential.summary.cascades).toBeGreaterThan(0);
    expect(sequential.transitions.every((cell) => cell.examples.length > 0)).toBe(true);
    expect(sequential.attribution.agents.length).toBeGreaterThan(1);
  });

  test.each([2, 3, 4])("on %i threads, the report is the one thread's", async (threads) => {
    const parallel = await runParallelReplay(store, { ...options(), threads, callsPerWorker: 1 });
    expect(withoutSource(parallel)).toEqual(withoutSource(sequential));
    expect(parallel.provenance.source.detail).toContain(`shared out to ${threads} threads`);
    expect(parallel.provenance.source.threads).toBe(threads);
  });

  test("a window of one instance replays on this thread", async () => {
    const filtered = await runParallelReplay(onlyInstance(store, "gw-a"), {
      ...options(),
      threads: 2,
      callsPerWorker: 1,
    });
    expect(filtered.provenance.source.detail).not.toContain("threads");
    expect(filtered.provenance.source.threads).toBeUndefined();
    expect(filtered.summary.calls).toBeGreaterThan(0);
  });

  test("a window too small to be worth a worker's start replays on this thread", async () => {
    const small = await runParallelReplay(store, { ...options(), threads: 4 });
    expect(small.provenance.source.detail).not.toContain("threads");
    expect(small.provenance.source.threads).toBeUndefined();
    expect(withoutSource(small)).toEqual(withoutSource(sequential));
  });

  test("progress adds up the workers' calls", async () => {
    const seen: number[] = [];
    await runParallelReplay(store, {
      ...options(),
      threads: 2,
      callsPerWorker: 1,
      onProgress: (progress) => {
        if (progress.phase === "replay") seen.push(progress.calls);
      },
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBe(sequential.summary.calls + sequential.coverage.approvals);
  });

  test("a worker that fails says why, and the replay fails with it", async () => {
    // A policy whose document no longer gives its digest: the worker refuses to replay it.
    const tampered = { ...candidate, digest: "sha256:not-this-policy" };
    await expect(
      runParallelReplay(store, { ...options(), candidate: tampered, threads: 2, callsPerWorker: 1 }),
    ).rejects.toThrow(/k8s-loosened\.json compiled to sha256:[0-9a-f]{64}, not sha256:not-this-policy/);
  });

  test("a read the store refuses fails the replay with the store's error", async () => {
    const refusal = new Error("ClickHouse is unavailable at the test's store");
    const failing: ReplayStore = {
      target: store.target,
      select: (query, params) => store.select(query, params),
      selectBinary: async () => {
        throw refusal;
      },
    };
    await expect(runParallelReplay(failing, { ...options(), threads: 2, callsPerWorker: 1 })).rejects.toBe(
      refusal,
    );
  });
});

/** The store as if it held only one instance's calls: the instance list is all that differs. */
function onlyInstance(store: Store, instance: string): ReplayStore {
  return {
    target: store.target,
    select: async <T>(query: string, params?: Record<string, unknown>) => {
      const rows = await store.select<T>(query, params);
      if (!query.includes("GROUP BY instance")) return rows;
      return rows.filter((row) => (row as { instance?: string }).instance === instance);
    },
    selectBinary: (query, params, format) => store.selectBinary(query, params, format),
  };
}
