import type { TollgateEvent } from "@tollgate/events";
import { beforeAll, describe, expect, test } from "vitest";
import { DAY, recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import type { EventFilter } from "../src/index.js";
import { openTarget, targetNames } from "./support/targets.js";

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
  const open = openTarget(name);
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
    // Out of order and in two batches: the store orders, not the insert.
    await open.store.insertEvents(events.slice(7).reverse());
    await open.store.insertEvents(events.slice(0, 7));
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
    expect(await open.store.eventIds(filter)).toEqual(expected);
    expect(await open.store.countEvents(filter)).toBe(expected.length);
    expect((await open.store.readEvents(filter)).map((stored) => stored.id)).toEqual(expected);
  });

  test("readEvents stops at its limit, in time order", async () => {
    expect((await open.store.readEvents({ agent: alice, limit: 3 })).map((stored) => stored.id)).toEqual(
      ours({ agent: alice }).slice(0, 3),
    );
  });

  test("filter values are bound, never spliced into SQL", async () => {
    expect(await open.store.countEvents({ agent: `${alice}' OR 1 = 1 --` })).toBe(0);
    expect(await open.store.countEvents({ session: "x\\' OR '1'='1" })).toBe(0);
    expect(await open.store.countEvents({ agent: alice })).toBe(ours({ agent: alice }).length);
  });

  test("selectBinary answers in the binary format asked for, RowBinary by default", async () => {
    const query = "SELECT toUInt8(7) AS x, 'ab' AS y";
    expect([...(await open.store.selectBinary(query))]).toEqual([7, 2, 0x61, 0x62]);
    const native = Buffer.from(await open.store.selectBinary(query, {}, "Native"));
    // Columns, rows; then each column's name, type and values.
    const expected = Buffer.concat([
      Buffer.from([2, 1, 1, 0x78, 5]),
      Buffer.from("UInt8"),
      Buffer.from([7, 1, 0x79, 6]),
      Buffer.from("String"),
      Buffer.from([2, 0x61, 0x62]),
    ]);
    expect(native.equals(expected)).toBe(true);
  });
});
