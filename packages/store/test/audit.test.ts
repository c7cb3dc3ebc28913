/** The store as the audit trail: `tollgate audit verify` reads an instance's chain back and checks it. */
import { type TollgateEvent, verifyChains } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import { recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import { openTarget, targetNames } from "./support/targets.js";

/** Ten calls of one agent: twenty chained events. */
function shift(gateway: TestGateway): TollgateEvent[] {
  const session = gateway.session(uniqueName("oncall"));
  const start = recentHour(2);
  return Array.from({ length: 10 }, (_, n) =>
    gateway.call(session, { tool: n % 3 === 0 ? "k8s_get_pods" : "k8s_get_logs", at: start + n * 60_000 }),
  ).flat();
}

describe.each(targetNames())("audit over the store on %s", (name) => {
  const open = openTarget(name);

  const stored = async (gateway: TestGateway, events: TollgateEvent[]) => {
    const shuffled = [...events].sort((a, b) => a.id.localeCompare(b.id)).reverse();
    await open.store.insertEvents(shuffled.slice(0, 7));
    await open.store.insertEvents(shuffled);
    return open.store.eventsOfInstance(gateway.instance);
  };

  test("an instance's events come back in chain order, once each, and verify clean", async () => {
    const gateway = new TestGateway();
    const events = shift(gateway);
    const read = await stored(gateway, events);
    expect(read).toEqual(events);
    expect(verifyChains(read)).toEqual([]);
  });

  test("a row deleted from ClickHouse shows as a gap in its instance's chain", async () => {
    const [gateway, bystander] = [new TestGateway(), new TestGateway()];
    const events = shift(gateway);
    await stored(bystander, shift(bystander));
    await stored(gateway, events);
    const victim = events[6]!;
    await open.target.sql().command({
      query: "DELETE FROM events WHERE event_id = {id:UUID}",
      query_params: { id: victim.id },
    });
    const read = await open.store.eventsOfInstance(gateway.instance);
    expect(read).toHaveLength(events.length - 1);
    expect(verifyChains(read)).toEqual([
      expect.objectContaining({ instance: gateway.instance, kind: "missing", seq: 7 }),
    ]);
    expect(verifyChains(await open.store.eventsOfInstance(bystander.instance))).toEqual([]);
  });

  test("a row removed by a mutation (ALTER TABLE … DELETE) is found too", async () => {
    const gateway = new TestGateway();
    const events = shift(gateway);
    await stored(gateway, events);
    await open.target.sql().command({
      query: "ALTER TABLE events DELETE WHERE event_id IN {ids:Array(UUID)}",
      query_params: { ids: [events[0]!.id, events[1]!.id] },
      clickhouse_settings: { mutations_sync: "2" },
    });
    expect(verifyChains(await open.store.eventsOfInstance(gateway.instance))).toEqual([
      expect.objectContaining({
        kind: "missing",
        seq: 2,
        message: "2 events missing before seq 2 (seq 0–1)",
      }),
    ]);
  });

  test("an event edited in place no longer matches its hash", async () => {
    const gateway = new TestGateway();
    const events = shift(gateway);
    await stored(gateway, events);
    const victim = events.find((event) => event.type === "call.decided" && event.chain.seq > 0)!;
    await open.target.sql().command({
      query:
        'ALTER TABLE events UPDATE event_json = replaceOne(event_json, \'"outcome":"allow"\', \'"outcome":"deny"\') WHERE event_id = {id:UUID}',
      query_params: { id: victim.id },
      clickhouse_settings: { mutations_sync: "2" },
    });
    expect(verifyChains(await open.store.eventsOfInstance(gateway.instance))).toEqual([
      expect.objectContaining({ kind: "edited", seq: victim.chain.seq }),
    ]);
  });

  test("an unknown instance has no events", async () => {
    expect(await open.store.eventsOfInstance(uniqueName("nowhere"))).toEqual([]);
  });
});
