/**
 * `tollgate demo traffic` writes a day that replay can trust: every event parses, every chain
 * verifies, and the real decider, re-run on the recorded calls at their recorded times with one state
 * per gateway instance, reproduces every recorded decision. The day has its rate-limited exec loop,
 * its held calls answered by named people, and no secret in the spool.
 */
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpoolReader } from "@tollgate/bus";
import { type EventOfType, parseEvent, type TollgateEvent, verifyChains } from "@tollgate/events";
import { type DecisionState, decide, evolve, initialState, loadPolicyFile } from "@tollgate/policy";
import { beforeAll, describe, expect, test } from "vitest";
import { DEMO_CONFIG } from "../src/commands/demo.js";
import { demoDay } from "../src/demo/traffic.js";
import { ExitCode, main } from "../src/index.js";

const UNTIL = Date.parse("2025-06-03T18:00:00Z");
const policyFile = join(DEMO_CONFIG, "..", "..", "policies", "k8s.json");
const SECRETS = ["s3cr3t-ledger-pw", "eyJhbGciOiJIUzI1NiJ9", "ghp_4fT9kQx2ZmLw8RnV1cYb7HsD3jPe6AuGiK0o"];

let spool: string;
let summary: { events: number; calls: number; rateLimitedSessions: { session: string }[] };
let events: TollgateEvent[];

async function readSpool(directory: string): Promise<{ events: TollgateEvent[]; poison: number }> {
  const reader = await SpoolReader.open(directory);
  try {
    const found: TollgateEvent[] = [];
    let poison = 0;
    for (;;) {
      const batch = await reader.read(5_000);
      poison += batch.poison.length + batch.damage.length;
      if (batch.records.length === 0) break;
      for (const record of batch.records) {
        const parsed = parseEvent(record.payload);
        if (!parsed.ok) throw new Error(parsed.error);
        found.push(parsed.event);
      }
    }
    return { events: found, poison };
  } finally {
    await reader.close();
  }
}

async function spoolBytes(directory: string): Promise<string> {
  const files = await readdir(directory, { recursive: true, withFileTypes: true });
  const segments = files.filter((file) => file.isFile() && file.name.endsWith(".seg"));
  const texts = await Promise.all(
    segments.map((file) => readFile(join(file.parentPath, file.name), "latin1")),
  );
  return texts.join("\n");
}

const decided = (list: TollgateEvent[]) =>
  list.filter((event): event is EventOfType<"call.decided"> => event.type === "call.decided");

beforeAll(async () => {
  spool = join(await mkdtemp(join(tmpdir(), "tollgate-demo-")), "spool");
  const out: string[] = [];
  const code = await main(
    ["demo", "traffic", "--spool", spool, "--seed", "7", "--until", new Date(UNTIL).toISOString(), "--json"],
    { out: (text) => out.push(text), err: (text) => out.push(text) },
  );
  expect(code, out.join("")).toBe(ExitCode.ok);
  summary = JSON.parse(out.join(""));
  const read = await readSpool(spool);
  expect(read.poison).toBe(0);
  events = read.events;
});

describe("tollgate demo traffic", () => {
  test("writes every event it reports, each a valid event, every chain intact", () => {
    expect(events).toHaveLength(summary.events);
    expect(decided(events).filter((e) => e.payload.decision.approval === undefined)).toHaveLength(
      summary.calls,
    );
    expect(new Set(events.map((e) => e.gateway.instance)).size).toBe(2);
    expect(verifyChains(events)).toEqual([]);
    const window = { from: UNTIL - 24 * 3_600_000, to: UNTIL };
    for (const event of decided(events)) {
      expect(event.payload.decision.at).toBeGreaterThanOrEqual(window.from);
      expect(event.payload.decision.at).toBeLessThan(window.to);
    }
  });

  test("re-deciding the recorded calls with decide/evolve reproduces every recorded decision", async () => {
    const policy = await loadPolicyFile(policyFile);
    const states = new Map<string, DecisionState>();
    const inChainOrder = [...events].sort(
      (a, b) => a.gateway.instance.localeCompare(b.gateway.instance) || a.chain.seq - b.chain.seq,
    );
    let compared = 0;
    for (const event of decided(inChainOrder)) {
      const { call, decision } = event.payload;
      const state = states.get(event.gateway.instance) ?? initialState();
      states.set(event.gateway.instance, state);
      const session = event.session!;
      const replayed = decide(
        policy,
        state,
        {
          server: call.server,
          tool: call.tool,
          args: call.arguments,
          identity: { agent: session.agent, grant: session.grant, session: session.id },
          ...(decision.approval === undefined ? {} : { approval: decision.approval }),
        },
        decision.at,
      );
      evolve(state, replayed);
      const { policy: recordedPolicy, approval: _approval, ...recorded } = decision;
      expect(recordedPolicy).toEqual({ name: policy.name, digest: policy.digest });
      expect({ ...replayed, counters: [...replayed.counters] }).toEqual(recorded);
      compared += 1;
    }
    expect(compared).toBeGreaterThan(100);
  });

  test("the day has a session rate-limited on k8s_pod_exec after using its quota", () => {
    const bySession = new Map<string, EventOfType<"call.decided">[]>();
    for (const event of decided(events))
      bySession.set(event.session!.id, [...(bySession.get(event.session!.id) ?? []), event]);
    const limited = [...bySession.entries()].filter(([, calls]) =>
      calls.some(
        (e) => e.payload.call.tool === "k8s_pod_exec" && e.payload.decision.outcome === "rate_limited",
      ),
    );
    expect(limited.map(([id]) => id)).toEqual(summary.rateLimitedSessions.map((s) => s.session));
    const [, calls] = limited[0]!;
    const execs = calls.filter((e) => e.payload.call.tool === "k8s_pod_exec");
    expect(execs.filter((e) => e.payload.decision.outcome === "allow").length).toBeGreaterThanOrEqual(10);
    const refusal = execs.find((e) => e.payload.decision.outcome === "rate_limited")!;
    expect(refusal.payload.decision.rule).toBe("tools.k8s_pod_exec.limits[0]");
    expect(calls[0]!.session?.agent).toBe("sre-bot");
  });

  test("held calls are answered by named people, and an approved call is decided again as granted", () => {
    const resolved = events.filter(
      (e): e is EventOfType<"approval.resolved"> => e.type === "approval.resolved",
    );
    const resolutions = resolved.map((e) => e.payload.resolution).sort();
    expect(resolutions).toEqual(expect.arrayContaining(["approved", "denied", "timed_out"]));
    for (const event of resolved.filter((e) => e.payload.resolution !== "timed_out"))
      expect(event.payload.by).toMatch(/^[a-z]+\.[a-z]+$/);
    const approved = resolved.find((e) => e.payload.resolution === "approved")!;
    const again = decided(events).find(
      (e) => e.payload.call.id === approved.payload.callId && e.payload.decision.approval === "granted",
    );
    expect(again?.payload.decision.outcome).toBe("allow");
    expect(again?.payload.call.tool).toBe("k8s_scale_resource");
    const completion = events.find(
      (e) => e.type === "call.completed" && e.payload.callId === approved.payload.callId,
    );
    expect(completion?.payload).toMatchObject({ status: "ok" });
  });

  test("secrets in arguments are redacted before they reach the spool", async () => {
    const redacted = decided(events).filter((e) => e.payload.call.redacted.length > 0);
    expect(redacted.flatMap((e) => e.payload.call.redacted)).toEqual(
      expect.arrayContaining(["data.password", "command[3]", "data.API_TOKEN"]),
    );
    const bytes = await spoolBytes(spool);
    for (const secret of SECRETS) expect(bytes).not.toContain(secret);
  });

  test("the same seed and end time give the same day, event for event", async () => {
    const policy = await loadPolicyFile(policyFile);
    const options = { policy, server: "k8s", end: UNTIL, hours: 6, seed: 11 };
    const first = demoDay(options);
    expect(demoDay(options).events).toEqual(first.events);
    expect(demoDay({ ...options, seed: 12 }).events).not.toEqual(first.events);
    expect(first.tally.outcomes.rate_limited).toBeGreaterThan(0);
  });
});
