/**
 * Every query route's answer on a known investigation (support/fixture.ts), with exact counts, over
 * the real embedded ClickHouse; and paging through long lists with no gaps and no repeats.
 */
import type { TollgateEvent } from "@tollgate/events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DAY, HOUR, MINUTE } from "../../../test/support/recorded-events.js";
import { type Fixture, get, openFixture, qs } from "./support/fixture.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await openFixture();
});
afterAll(async () => {
  await fx?.close();
});

const decidedIds = (events: TollgateEvent[], where: (event: TollgateEvent) => boolean = () => true) =>
  events.filter((event) => event.type === "call.decided" && where(event)).map((event) => event.id);

describe("sessions", () => {
  test("lists each session with its counts, most recently active first", async () => {
    const { a1, a2, b1, p1, alice, bob, t0 } = fx.data;
    const { status, body } = await get(fx.app, "/api/v1/sessions");
    expect(status).toBe(200);
    expect(body.sessions.map((s: { session: string }) => s.session)).toEqual([p1.id, b1.id, a2.id, a1.id]);
    expect(body.nextCursor).toBeUndefined();
    const [, bob1, alice2, alice1] = body.sessions;
    expect(alice1).toEqual({
      session: a1.id,
      agent: alice,
      grant: "ops",
      firstAt: t0,
      lastAt: t0 + HOUR + 5_050,
      calls: 5,
      denials: 1,
      rateLimited: 1,
      approvalsRequested: 1,
      events: 13,
    });
    expect(alice2).toMatchObject({ calls: 3, denials: 1, rateLimited: 0, approvalsRequested: 1, events: 8 });
    expect(bob1).toMatchObject({
      agent: bob,
      grant: "dev",
      calls: 4,
      denials: 1,
      rateLimited: 1,
      events: 10,
    });
  });

  test("filters by agent, grant and time", async () => {
    const { a1, a2, b1, alice, t0 } = fx.data;
    const byAgent = await get(fx.app, `/api/v1/sessions?${qs({ agent: alice })}`);
    expect(byAgent.body.sessions.map((s: { session: string }) => s.session)).toEqual([a2.id, a1.id]);
    const byGrant = await get(fx.app, "/api/v1/sessions?grant=dev");
    expect(byGrant.body.sessions.map((s: { session: string }) => s.session)).toEqual([b1.id]);
    // Within a window, a session's counts are those of its events in the window.
    const window = await get(
      fx.app,
      `/api/v1/sessions?${qs({ from: t0, to: new Date(t0 + HOUR).toISOString() })}`,
    );
    expect(window.body.sessions).toEqual([
      expect.objectContaining({
        session: a1.id,
        calls: 4,
        denials: 1,
        rateLimited: 1,
        approvalsRequested: 0,
      }),
    ]);
  });

  test("pages one session at a time without gaps or repeats", async () => {
    const { a1, a2, b1, p1 } = fx.data;
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const { status, body } = await get(fx.app, `/api/v1/sessions?${qs({ limit: 1, cursor })}`);
      expect(status).toBe(200);
      expect(body.sessions).toHaveLength(1);
      seen.push(body.sessions[0].session);
      cursor = body.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual([p1.id, b1.id, a2.id, a1.id]);
  });
});

describe("a session's timeline", () => {
  test("every event in order: decisions with rule, reason and counters, completions, approvals with who", async () => {
    const { a1 } = fx.data;
    const { status, body } = await get(fx.app, `/api/v1/sessions/${encodeURIComponent(a1.id)}/timeline`);
    expect(status).toBe(200);
    expect(body.session).toBe(a1.id);
    expect(body.events.map((e: { type: string }) => e.type)).toEqual([
      ...Array(4).fill(["call.decided", "call.completed"]).flat(),
      "call.decided",
      "approval.requested",
      "approval.resolved",
      "call.decided",
      "call.completed",
    ]);
    const limited = body.events[6];
    expect(limited).toMatchObject({
      tool: "k8s_pod_exec",
      decision: "rate_limited",
      rule: "tools.k8s_pod_exec.limits[0]",
      basis: "limit",
      arguments: { pod: "web-1", command: "cat /etc/hosts" },
    });
    expect(limited.counters.map((c: { counter: string }) => c.counter)).toEqual([
      "all_calls",
      "k8s_pod_exec_rate",
    ]);
    expect(body.events[7]).toMatchObject({
      type: "call.completed",
      status: "denied",
      callId: limited.callId,
    });
    const [held, requested, resolved, granted, completed] = body.events.slice(8);
    expect(held).toMatchObject({ decision: "approval_required", tool: "k8s_scale_resource" });
    expect(requested).toMatchObject({ callId: held.callId, rule: "tools.k8s_scale_resource" });
    expect(resolved).toMatchObject({
      callId: held.callId,
      resolution: "approved",
      by: "carol",
      approvalId: requested.approvalId,
    });
    expect(granted).toMatchObject({ decision: "allow", approval: "granted" });
    expect(completed).toMatchObject({ status: "ok", latencyMs: 42.5, resultBytes: 512 });
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual(
      [...body.events.map((e: { seq: number }) => e.seq)].sort((x, y) => x - y),
    );
  });

  test("pages through a long session", async () => {
    const { p1, paged } = fx.data;
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { body } = await get(fx.app, `/api/v1/sessions/${p1.id}/timeline?${qs({ limit: 50, cursor })}`);
      seen.push(...body.events.map((e: { eventId: string }) => e.eventId));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(5);
    expect(seen).toEqual(paged.map((event) => event.id));
  });

  test("an unknown session is a 404", async () => {
    const { status, body } = await get(fx.app, "/api/v1/sessions/no-such-session/timeline");
    expect(status).toBe(404);
    expect(body).toEqual({ error: "not_found", message: "no events of session no-such-session are stored" });
  });
});

describe("calls", () => {
  test("one row per decision, newest first, with the completion", async () => {
    const { b1, all } = fx.data;
    const { body } = await get(fx.app, `/api/v1/calls?${qs({ session: b1.id })}`);
    expect(body.calls.map((c: { eventId: string }) => c.eventId)).toEqual(
      decidedIds(all, (e) => e.session?.id === b1.id).reverse(),
    );
    const toolError = body.calls.find((c: { tool: string }) => c.tool === "k8s_get_pods");
    expect(toolError).toMatchObject({
      decision: "allow",
      status: "tool_error",
      latencyMs: 7.25,
      server: "k8s",
      grant: "dev",
    });
    const held = body.calls.find((c: { decision: string }) => c.decision === "approval_required");
    expect(held).toMatchObject({ tool: "k8s_scale_resource", status: "denied" });
  });

  test.each([
    ["agent", (d: Fixture["data"]) => ({ agent: d.alice }), 9],
    ["grant", () => ({ grant: "dev" }), 4],
    ["decision", () => ({ decision: "deny" }), 3],
    ["tool", () => ({ tool: "kube_executor" }), 3],
    ["server", () => ({ server: "ocm" }), 3],
    ["rule", () => ({ rule: "tools.k8s_pod_exec.limits[0]" }), 2],
    ["time range", (d: Fixture["data"]) => ({ from: d.t0, to: d.t0 + DAY }), 9],
    ["time range and decision", (d: Fixture["data"]) => ({ from: d.t0 + DAY, decision: "rate_limited" }), 1],
    ["everything", () => ({ limit: 1000 }), 133],
  ])("filter by %s", async (_name, filter, expected) => {
    const { status, body } = await get(fx.app, `/api/v1/calls?${qs(filter(fx.data))}`);
    expect(status).toBe(200);
    expect(body.calls).toHaveLength(expected);
  });

  test("an approved call has both decisions, the second one granted", async () => {
    const { a1 } = fx.data;
    const { body } = await get(fx.app, `/api/v1/calls?${qs({ session: a1.id, tool: "k8s_scale_resource" })}`);
    expect(body.calls.map((c: { decision: string; approval?: string }) => [c.decision, c.approval])).toEqual([
      ["allow", "granted"],
      ["approval_required", undefined],
    ]);
  });

  test("pages without gaps or repeats, even through calls decided in the same millisecond", async () => {
    const { p1, paged } = fx.data;
    const seen: string[] = [];
    let cursor: string | undefined;
    let last = Number.POSITIVE_INFINITY;
    do {
      const { body } = await get(fx.app, `/api/v1/calls?${qs({ session: p1.id, limit: 7, cursor })}`);
      for (const call of body.calls) {
        expect(call.time).toBeLessThanOrEqual(last);
        last = call.time;
        seen.push(call.eventId);
      }
      cursor = body.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(120);
    expect(new Set(seen)).toEqual(new Set(decidedIds(paged)));
  });

  test("a cursor from another list, or made up, is a 400 naming the cursor", async () => {
    const sessions = await get(fx.app, "/api/v1/sessions?limit=1");
    for (const cursor of [
      sessions.body.nextCursor,
      "not-a-cursor",
      Buffer.from('["calls",1,"x"]').toString("base64url"),
    ]) {
      const { status, body } = await get(fx.app, `/api/v1/calls?${qs({ cursor })}`);
      expect(status).toBe(400);
      expect(body.field).toBe("cursor");
    }
  });
});

describe("search in arguments", () => {
  test("every kube_executor call whose command contains delete, in any case", async () => {
    const { a1, b1 } = fx.data;
    const { status, body } = await get(
      fx.app,
      `/api/v1/search?${qs({ tool: "kube_executor", path: "command", contains: "delete" })}`,
    );
    expect(status).toBe(200);
    expect(
      body.calls.map((c: { session: string; arguments: { command: string } }) => [
        c.session,
        c.arguments.command,
      ]),
    ).toEqual([
      [b1.id, "kubectl DELETE namespace shop"],
      [a1.id, "kubectl delete pod web-1"],
    ]);
    expect(body.calls.every((c: { decision: string }) => c.decision === "deny")).toBe(true);
  });

  test("full text anywhere in the arguments", async () => {
    const { body } = await get(fx.app, "/api/v1/search?q=delete");
    expect(body.calls).toHaveLength(2);
    const shop = await get(fx.app, "/api/v1/search?q=shop");
    expect(shop.body.calls.map((c: { tool: string; decision: string }) => [c.tool, c.decision])).toEqual([
      ["kube_executor", "deny"],
      ["kube_executor", "allow"],
    ]);
  });

  test("exact values at a path, numbers included", async () => {
    const date = await get(fx.app, `/api/v1/search?${qs({ path: "command", equals: "date" })}`);
    expect(date.body.calls.map((c: { agent: string }) => c.agent)).toEqual([fx.data.bob]);
    const replicas = await get(fx.app, `/api/v1/search?${qs({ path: "replicas", equals: "5" })}`);
    expect(replicas.body.calls.map((c: { decision: string }) => c.decision)).toEqual([
      "allow",
      "approval_required",
    ]);
  });

  test("searches what was recorded: secrets are redacted, and the redacted paths are listed", async () => {
    const secret = await get(fx.app, "/api/v1/search?q=s3cr3t");
    expect(secret.body.calls).toEqual([]);
    const redacted = await get(fx.app, `/api/v1/search?${qs({ path: "token", equals: "[REDACTED]" })}`);
    expect(redacted.body.calls).toHaveLength(1);
    expect(redacted.body.calls[0]).toMatchObject({
      arguments: { pod: "db-0", command: "rm -rf /data", token: "[REDACTED]" },
      redacted: ["token"],
    });
  });

  test("a search needs q or path, and contains or equals need a path", async () => {
    expect((await get(fx.app, "/api/v1/search?tool=x")).body).toMatchObject({ field: "q" });
    expect((await get(fx.app, "/api/v1/search?contains=delete")).body).toMatchObject({ field: "path" });
  });
});

describe("rollups", () => {
  test("calls and refusals per tool", async () => {
    const { status, body } = await get(fx.app, "/api/v1/rollups/tools");
    expect(status).toBe(200);
    const byTool = Object.fromEntries(body.rows.map((row: { tool: string }) => [row.tool, row]));
    expect(byTool.k8s_get_pods).toEqual({
      server: "k8s",
      tool: "k8s_get_pods",
      calls: 82,
      allowed: 82,
      denials: 0,
      rateLimited: 0,
      approvalsRequested: 0,
    });
    expect(byTool.k8s_get_nodes).toMatchObject({ calls: 40 });
    expect(byTool.k8s_pod_exec).toMatchObject({ calls: 4, allowed: 1, denials: 1, rateLimited: 2 });
    expect(byTool.kube_executor).toMatchObject({ server: "ocm", calls: 3, allowed: 1, denials: 2 });
    expect(byTool.k8s_scale_resource).toMatchObject({ calls: 3, allowed: 1, approvalsRequested: 3 });
    expect(body.rows.map((row: { tool: string }) => row.tool)[0]).toBe("k8s_get_pods");
  });

  test("per agent", async () => {
    const { alice, bob, pager } = fx.data;
    const { body } = await get(fx.app, "/api/v1/rollups/agents");
    expect(
      body.rows.map((row: { agent: string; calls: number; sessions: number; grants: string[] }) => [
        row.agent,
        row.calls,
        row.sessions,
        row.grants,
      ]),
    ).toEqual([
      [pager, 120, 1, ["batch"]],
      [alice, 8, 2, ["ops"]],
      [bob, 4, 1, ["dev"]],
    ]);
  });

  test("per hour", async () => {
    const { alice, t0 } = fx.data;
    const { body } = await get(fx.app, `/api/v1/rollups/hours?${qs({ agent: alice })}`);
    expect(body.rows).toEqual([
      { hour: t0, calls: 4, allowed: 2, denials: 1, rateLimited: 1, approvalsRequested: 0 },
      { hour: t0 + HOUR, calls: 1, allowed: 1, denials: 0, rateLimited: 0, approvalsRequested: 1 },
      { hour: t0 + 2 * HOUR, calls: 3, allowed: 1, denials: 1, rateLimited: 0, approvalsRequested: 1 },
    ]);
  });

  test("rate-limit hits by limit and counter", async () => {
    const { alice, bob, t0 } = fx.data;
    const { body } = await get(fx.app, "/api/v1/rollups/rate-limits");
    expect(body.rows).toEqual([
      {
        rule: "tools.k8s_pod_exec.limits[0]",
        counter: "k8s_pod_exec_rate",
        scope: "grant",
        max: 10,
        windowMs: MINUTE,
        hits: 2,
        agents: [alice, bob].sort(),
        firstAt: t0 + 3 * MINUTE,
        lastAt: t0 + DAY + 2 * MINUTE,
      },
    ]);
  });

  test("approvals and who gave them", async () => {
    const { body } = await get(fx.app, "/api/v1/rollups/approvals");
    expect(body.requested).toBe(3);
    expect(
      body.resolved
        .map((row: { resolution: string; by: string; count: number }) => [row.resolution, row.by, row.count])
        .sort(),
    ).toEqual([
      ["approved", "carol", 1],
      ["denied", "dave", 1],
      ["timed_out", "", 1],
    ]);
    const bobs = await get(fx.app, `/api/v1/rollups/approvals?${qs({ agent: fx.data.bob })}`);
    expect(bobs.body).toMatchObject({ requested: 1, resolved: [{ resolution: "timed_out", count: 1 }] });
  });
});

describe("overview", () => {
  test("calls, denials and rate-limit hits in buckets with no gaps", async () => {
    const { t0 } = fx.data;
    const { status, body } = await get(
      fx.app,
      `/api/v1/overview?${qs({ from: t0, to: t0 + 4 * HOUR, bucket: "hour" })}`,
    );
    expect(status).toBe(200);
    expect(body.totals).toEqual({
      calls: 8,
      denials: 2,
      rateLimited: 1,
      approvalsRequested: 2,
      sessions: 2,
      agents: 1,
    });
    expect(body.series).toEqual([
      { start: t0, calls: 4, denials: 1, rateLimited: 1, approvalsRequested: 0 },
      { start: t0 + HOUR, calls: 1, denials: 0, rateLimited: 0, approvalsRequested: 1 },
      { start: t0 + 2 * HOUR, calls: 3, denials: 1, rateLimited: 0, approvalsRequested: 1 },
      { start: t0 + 3 * HOUR, calls: 0, denials: 0, rateLimited: 0, approvalsRequested: 0 },
    ]);
  });

  test("chooses the bucket by the range, and refuses too many buckets", async () => {
    const { t0 } = fx.data;
    const minutes = await get(fx.app, `/api/v1/overview?${qs({ from: t0, to: t0 + 5 * MINUTE })}`);
    expect(minutes.body.bucket).toBe("minute");
    expect(minutes.body.series.map((p: { calls: number }) => p.calls)).toEqual([1, 1, 1, 1, 0]);
    const tooMany = await get(
      fx.app,
      `/api/v1/overview?${qs({ from: t0 - 30 * DAY, to: t0, bucket: "minute" })}`,
    );
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.field).toBe("bucket");
  });
});

describe("one event and its place in the chain", () => {
  test("the stored JSON, its neighbours by seq, and both checks", async () => {
    const { east, all } = fx.data;
    const chain = all
      .filter((e) => e.gateway.instance === east.instance)
      .sort((x, y) => x.chain.seq - y.chain.seq);
    const middle = chain[5]!;
    const { status, body } = await get(fx.app, `/api/v1/events/${middle.id}`);
    expect(status).toBe(200);
    expect(body.event).toEqual(middle);
    expect(JSON.parse(body.json)).toEqual(middle);
    expect(body.chain).toEqual({
      instance: east.instance,
      seq: 5,
      prev: chain[4]!.chain.hash,
      hash: middle.chain.hash,
      previousEventId: chain[4]!.id,
      nextEventId: chain[6]!.id,
      hashVerifies: true,
      linkVerifies: true,
      problems: [],
    });
    const first = await get(fx.app, `/api/v1/events/${chain[0]!.id}`);
    expect(first.body.chain).toMatchObject({ seq: 0, prev: null, previousEventId: null, linkVerifies: true });
  });

  test("a missing predecessor and an edited event do not verify", async () => {
    const { TestGateway, uniqueName } = await import("../../../test/support/recorded-events.js");
    const other = new TestGateway(uniqueName("gw-tampered"));
    const [zero, one, two, three] = [0, 1, 2, 3].map((i) => other.policyLoaded(fx.data.t0 + i));
    const edited = { ...three!, payload: { ...three!.payload, source: "elsewhere.json" } } as TollgateEvent;
    await fx.store.insertEvents([zero!, two!, edited]);
    expect(one).toBeDefined();
    const gap = await get(fx.app, `/api/v1/events/${two!.id}`);
    expect(gap.body.chain).toMatchObject({
      previousEventId: null,
      nextEventId: edited.id,
      hashVerifies: true,
      linkVerifies: false,
    });
    expect(gap.body.chain.problems[0]).toContain("seq 1");
    const changed = await get(fx.app, `/api/v1/events/${edited.id}`);
    expect(changed.body.chain).toMatchObject({ hashVerifies: false, linkVerifies: true });
  });

  test("an unknown id is a 404, a malformed one a 400 naming id", async () => {
    const missing = await get(fx.app, "/api/v1/events/01890000-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
    const malformed = await get(fx.app, "/api/v1/events/nope");
    expect(malformed).toMatchObject({ status: 400, body: { error: "bad_request", field: "id" } });
  });
});
