import { serializeEvent, type TollgateEvent } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import { DAY, recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import type { EventFilter } from "../src/index.js";
import { openTarget, rowsOf, targetNames } from "./support/targets.js";

/** Two sessions' worth of calls, one in the previous month's partition, plus a policy load. */
function traffic(gateway: TestGateway, at = recentHour()): TollgateEvent[] {
  const ops = gateway.session(uniqueName("ops-agent"));
  const ci = gateway.session(uniqueName("ci-agent"));
  return [
    gateway.policyLoaded(at - 40 * DAY),
    ...gateway.call(ops, { tool: "k8s_get_pods", at: at - 40 * DAY }),
    ...gateway.call(ops, { tool: "k8s_pod_exec", arguments: { command: "ls /", token: "s3cret" }, at }),
    ...gateway.call(ci, { tool: "k8s_delete_namespace", outcome: "deny", at: at + 1_000 }),
  ];
}

describe.each(targetNames())("inserting and reading events on %s", (name) => {
  const open = openTarget(name);

  /** Rows as stored, before FINAL collapses duplicates: what merges have not cleaned up yet. */
  const storedRows = async (instance: string) => {
    const [row] = await rowsOf<{ n: string | number }>(
      open.target.sql(),
      `SELECT count() AS n FROM events WHERE gateway_instance = '${instance}'`,
    );
    return Number(row?.n);
  };

  /** Every read of the store agrees that each event is there exactly once. */
  const expectEachOnce = async (events: TollgateEvent[]) => {
    const instance = events[0]!.gateway.instance;
    const filter: EventFilter = { instance };
    const ids = events.map((event) => event.id);
    expect(await open.store.countEvents(filter)).toBe(events.length);
    expect([...(await open.store.eventIds(filter))].sort()).toEqual([...ids].sort());
    expect((await open.store.readEvents(filter)).map((stored) => stored.id).sort()).toEqual([...ids].sort());
    expect((await open.store.eventsOfInstance(instance)).map((event) => event.id).sort()).toEqual(
      [...ids].sort(),
    );
    const decided = events.filter((event) => event.type === "call.decided").map((event) => event.id);
    expect([...(await open.store.eventIds({ ...filter, type: "call.decided" }))].sort()).toEqual(
      decided.sort(),
    );
  };

  test("events read back byte-exact, arguments redacted as the gateway sent them", async () => {
    const gateway = new TestGateway();
    const events = traffic(gateway);
    await open.store.insertEvents(events);
    const stored = await open.store.readEvents({ instance: gateway.instance });
    const byId = new Map(stored.map((row) => [row.id, row.json]));
    for (const event of events) expect(byId.get(event.id)).toBe(serializeEvent(event));
    expect(stored.map((row) => row.id)).toEqual(
      [...events].sort((a, b) => a.time - b.time || a.chain.seq - b.chain.seq).map((event) => event.id),
    );
    expect(byId.get(events[3]!.id)).toContain('"arguments":{"command":"ls /","token":"[REDACTED]"}');
  });

  test("raw JSON is kept exactly as it arrived, whatever its spacing, key order or escapes", async () => {
    const gateway = new TestGateway();
    const session = gateway.session(uniqueName("agent"));
    const awkward = {
      text: "emoji 😀, quotes \" ' `, backslash \\, newline \n, tab \t, NUL \u0000, LS \u2028, é",
      nested: [{ deep: { deeper: [1, 2.5, 1e21, null, true] } }],
      long: "x".repeat(100_000),
    };
    const [decided, completed] = gateway.call(session, {
      tool: "fs_write",
      arguments: awkward,
      at: recentHour(),
    });
    const raws = [decided!, completed!].map((event, index) => ({
      event,
      // Spacing, an escaped é and a 7.0 that JSON.stringify would never write: only the bytes say so.
      json:
        index === 0
          ? JSON.stringify(event, null, 2)
              .replace(/é/g, "\\u00e9")
              .replace('"requestId": 7', '"requestId": 7.0')
          : serializeEvent(event),
    }));
    await open.store.insertEvents(raws);
    const stored = await open.store.readEvents({ instance: gateway.instance });
    expect(stored.map((row) => row.json)).toEqual(raws.map((raw) => raw.json));
    const [parsed] = await open.store.eventsOfInstance(gateway.instance);
    expect(parsed).toEqual(JSON.parse(raws[0]!.json));
  });

  test("the same batch twice without a token is stored once (insert dedup by block hash)", async () => {
    const events = traffic(new TestGateway());
    await open.store.insertEvents(events);
    await open.store.insertEvents(events);
    expect(await storedRows(events[0]!.gateway.instance)).toBe(events.length);
    await expectEachOnce(events);
  });

  test("the same batch twice with its dedup token is stored once", async () => {
    const events = traffic(new TestGateway());
    const deduplicationToken = uniqueName("events-0:100-199");
    await open.store.insertEvents(events, { deduplicationToken });
    await open.store.insertEvents(events, { deduplicationToken });
    expect(await storedRows(events[0]!.gateway.instance)).toBe(events.length);
    await expectEachOnce(events);
  });

  /**
   * Stores duplicates with merges stopped, then checks that they are stored (`rows` in all), that
   * every read sees each event once all the same, and that a merge collapses them.
   */
  const expectDuplicatesCollapse = async (
    events: TollgateEvent[],
    rows: number,
    store: () => Promise<void>,
  ) => {
    const instance = events[0]!.gateway.instance;
    await open.target.sql().command({ query: "SYSTEM STOP MERGES events" });
    try {
      await store();
      expect(await storedRows(instance)).toBe(rows);
      await expectEachOnce(events);
    } finally {
      await open.target.sql().command({ query: "SYSTEM START MERGES events" });
    }
    await open.target.sql().command({ query: "OPTIMIZE TABLE events FINAL" });
    expect(await storedRows(instance)).toBe(events.length);
    await expectEachOnce(events);
  };

  test("a duplicate insert dedup cannot see is still one row per event_id in every read", async () => {
    const events = traffic(new TestGateway());
    // Different tokens, and a retry that re-batched the events: neither is recognised at insert.
    await expectDuplicatesCollapse(events, 3 * events.length, async () => {
      await open.store.insertEvents(events, { deduplicationToken: uniqueName("range-a") });
      await open.store.insertEvents(events, { deduplicationToken: uniqueName("range-b") });
      await open.store.insertEvents([...events.slice(2), ...events.slice(0, 2)]);
    });
  });

  test("a batch that holds an event twice is one row per event_id in every read", async () => {
    const events = traffic(new TestGateway());
    // A resent event in the same batch as its first copy: the insert keeps both (no dedup pass).
    await expectDuplicatesCollapse(events, events.length + 2, () =>
      open.store.insertEvents([...events, ...events.slice(1, 3)]),
    );
  });

  test("a token names its batch: a different batch under a seen token is skipped", async () => {
    const gateway = new TestGateway();
    const [first, second] = [traffic(gateway), traffic(gateway)];
    const deduplicationToken = uniqueName("range");
    await open.store.insertEvents(first!, { deduplicationToken });
    await open.store.insertEvents(second!, { deduplicationToken });
    expect(await open.store.countEvents({ instance: gateway.instance })).toBe(first!.length);
  });

  test("a batch without a token after one with a token is stored (no token left behind)", async () => {
    const gateway = new TestGateway();
    const [first, second] = [traffic(gateway), traffic(gateway)];
    await open.store.insertEvents(first!, { deduplicationToken: uniqueName("range") });
    await open.store.insertEvents(second!);
    expect(await open.store.countEvents({ instance: gateway.instance })).toBe(first!.length + second!.length);
  });

  test("an empty batch is a no-op", async () => {
    await expect(open.store.insertEvents([], { deduplicationToken: "empty" })).resolves.toBeUndefined();
  });
});
