import type { TollgateEvent } from "@tollgate/events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DAY, recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import type { CallRecord, EventFilter, Store } from "../src/index.js";
import { makeTarget, type TestTarget, targetNames } from "./support/targets.js";

const HOUR = 3_600_000;

/** The reference: what a filter means, over the events in memory. */
function matches(event: TollgateEvent, filter: EventFilter): boolean {
  const decided = event.type === "call.decided" ? event.payload : undefined;
  const checks: [unknown, unknown][] = [
    [filter.type, event.type],
    [filter.instance, event.gateway.instance],
    [filter.agent, event.session?.agent],
    [filter.session, event.session?.id],
    [filter.tool, decided?.call.tool],
    [filter.outcome, decided?.decision.outcome],
  ];
  if (checks.some(([wanted, actual]) => wanted !== undefined && wanted !== actual)) return false;
  return (
    (filter.from === undefined || event.time >= filter.from) &&
    (filter.to === undefined || event.time < filter.to)
  );
}

const inStoreOrder = (a: TollgateEvent, b: TollgateEvent) =>
  a.time - b.time || a.gateway.instance.localeCompare(b.gateway.instance) || a.chain.seq - b.chain.seq;

describe.each(targetNames())("forensic queries on %s", (name) => {
  let target: TestTarget;
  let store: Store;
  const t0 = recentHour(5);
  const [east, west] = [new TestGateway(uniqueName("gw-east")), new TestGateway(uniqueName("gw-west"))];
  const [alice, bob] = [uniqueName("alice"), uniqueName("bob")];
  const [s1, s2, s3] = [east.session(alice), east.session(alice), west.session(bob)];
  const s4 = east.session(bob);
  const events = [
    ...east.call(s1, { tool: "k8s_get_pods", at: t0 }),
    ...east.call(s1, { tool: "k8s_pod_exec", at: t0 + HOUR, latencyMs: 120 }),
    ...east.call(s1, { tool: "k8s_delete_namespace", outcome: "deny", at: t0 + 2 * HOUR }),
    ...east.call(s2, { tool: "k8s_pod_exec", outcome: "rate_limited", at: t0 + 3 * HOUR }),
    ...east.call(s2, {
      tool: "k8s_scale",
      outcome: "approval_required",
      rule: "tools.k8s_scale",
      at: t0 + 4 * HOUR,
    }),
    ...west.call(s3, { tool: "k8s_get_pods", status: "tool_error", latencyMs: 7.25, at: t0 + DAY }),
    ...west.call(s3, { tool: "k8s_pod_exec", outcome: "deny", at: t0 + DAY + HOUR }),
    ...east.call(s4, { tool: "k8s_pod_exec", at: t0 + DAY + 2 * HOUR }),
  ];
  const ours = (filter: EventFilter) =>
    events
      .filter((event) => matches(event, filter))
      .sort(inStoreOrder)
      .map((event) => event.id);

  beforeAll(async () => {
    target = await makeTarget(name);
    store = await target.open();
    // Out of order and in two batches: the store orders, not the insert.
    await store.insertEvents(events.slice(7).reverse());
    await store.insertEvents(events.slice(0, 7));
  });
  afterAll(async () => {
    await store?.close();
    await target?.dispose();
  });

  const filters: [string, EventFilter][] = [
    ["agent", { agent: alice }],
    ["session", { session: s2.id }],
    ["tool (decisions only)", { tool: "k8s_pod_exec" }],
    ["outcome", { outcome: "deny" }],
    ["type", { type: "call.completed", agent: bob }],
    ["instance", { instance: west.instance }],
    ["time range, from inclusive, to exclusive", { agent: alice, from: t0 + HOUR, to: t0 + 3 * HOUR }],
    ["agent and tool over a day", { agent: bob, tool: "k8s_pod_exec", from: t0, to: t0 + 2 * DAY }],
    ["a time range with nothing", { agent: alice, from: t0 - 2 * DAY, to: t0 - DAY }],
    ["nothing: every event", {}],
  ];

  test.each(filters)("events by %s", async (_label, filter) => {
    // This file's database holds only these events, so the reference sees all the store sees.
    const expected = ours(filter);
    expect(await store.eventIds(filter)).toEqual(expected);
    expect(await store.countEvents(filter)).toBe(expected.length);
    expect((await store.readEvents(filter)).map((stored) => stored.id)).toEqual(expected);
  });

  test("readEvents stops at its limit, in time order", async () => {
    expect((await store.readEvents({ agent: alice, limit: 3 })).map((stored) => stored.id)).toEqual(
      ours({ agent: alice }).slice(0, 3),
    );
  });

  test("filter values are bound, never spliced into SQL", async () => {
    expect(await store.countEvents({ agent: `${alice}' OR 1 = 1 --` })).toBe(0);
    expect(await store.countEvents({ session: "x\\' OR '1'='1" })).toBe(0);
    expect(await store.countEvents({ agent: alice })).toBe(ours({ agent: alice }).length);
  });

  test("callsOf joins each decision with its completion, newest first", async () => {
    const calls = await store.callsOf({ agent: alice, limit: 10 });
    expect(calls.map(summary)).toEqual([
      { tool: "k8s_scale", outcome: "approval_required", status: undefined, latencyMs: undefined },
      { tool: "k8s_pod_exec", outcome: "rate_limited", status: "denied", latencyMs: 0 },
      { tool: "k8s_delete_namespace", outcome: "deny", status: "denied", latencyMs: 0 },
      { tool: "k8s_pod_exec", outcome: "allow", status: "ok", latencyMs: 120 },
      { tool: "k8s_get_pods", outcome: "allow", status: "ok", latencyMs: 42.5 },
    ]);
    const [newest] = calls;
    const decided = events.find((event) => event.id === newest?.eventId);
    expect(newest).toMatchObject({
      instance: east.instance,
      agent: alice,
      session: s2.id,
      grant: `${alice}-grant`,
      server: "k8s",
      rule: "tools.k8s_scale",
      basis: "approval", // an approve rule holding the call, as the gateway records it
      time: t0 + 4 * HOUR,
      callId: decided?.type === "call.decided" ? decided.payload.call.id : "?",
    });
  });

  test("callsOf filters by session, tool, outcome and time, and honours the limit", async () => {
    const tools = async (query: Parameters<Store["callsOf"]>[0]) =>
      (await store.callsOf(query)).map((call) => `${call.agent === alice ? "alice" : "bob"}:${call.tool}`);
    expect(await tools({ session: s3.id, limit: 10 })).toEqual(["bob:k8s_pod_exec", "bob:k8s_get_pods"]);
    expect(await tools({ tool: "k8s_pod_exec", from: t0, to: t0 + 2 * DAY, limit: 10 })).toEqual([
      "bob:k8s_pod_exec",
      "bob:k8s_pod_exec",
      "alice:k8s_pod_exec",
      "alice:k8s_pod_exec",
    ]);
    expect(await tools({ agent: bob, outcome: "deny", limit: 10 })).toEqual(["bob:k8s_pod_exec"]);
    expect(await tools({ agent: alice, from: t0 + HOUR, to: t0 + 3 * HOUR, limit: 10 })).toEqual([
      "alice:k8s_delete_namespace",
      "alice:k8s_pod_exec",
    ]);
    expect(await tools({ agent: alice, limit: 2 })).toEqual(["alice:k8s_scale", "alice:k8s_pod_exec"]);
    const [failed] = await store.callsOf({ session: s3.id, tool: "k8s_get_pods", limit: 1 });
    expect(failed).toMatchObject({ status: "tool_error", latencyMs: 7.25 });
    await expect(store.callsOf({ agent: alice, limit: 0 })).rejects.toThrow(/limit must be a whole number/);
  });
});

function summary(call: CallRecord) {
  return { tool: call.tool, outcome: call.outcome, status: call.status, latencyMs: call.latencyMs };
}
