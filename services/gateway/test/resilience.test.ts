import { fileURLToPath } from "node:url";
import type { TollgateEvent } from "@tollgate/events";
import { MemorySink } from "@tollgate/events";
import { compilePolicy } from "@tollgate/policy";
import { afterEach, expect, test } from "vitest";
import { Gateway, serveHttp, sha256Hex } from "../src/index.js";
import { AGENT_TOKEN, everythingServer, httpClient, type Running, startHttpGateway } from "./helpers.js";

const fragile = {
  id: "fragile",
  command: process.execPath,
  args: ["--import", "tsx", fileURLToPath(new URL("./fixtures/fragile-server.ts", import.meta.url))],
};

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

test("an upstream that prints junk and then dies mid-call fails the call cleanly and is restarted", async () => {
  running = await startHttpGateway({ version: "1", default: "allow" }, [fragile]);
  const client = await httpClient(running.http.url);
  expect(await client.callTool({ name: "echo", arguments: { message: "a" } })).toMatchObject({
    content: [{ text: "fragile echo: a" }],
  });
  const crashed = await client.callTool({ name: "crash", arguments: {} }).catch((error: Error) => error);
  expect(crashed).toBeInstanceOf(Error);
  expect(String(crashed)).toContain('upstream "fragile" exited');
  expect(await client.callTool({ name: "echo", arguments: { message: "b" } })).toMatchObject({
    content: [{ text: "fragile echo: b" }],
  });
  await running.gateway.core.recorder.flush();
  const statuses = running.sink.events.flatMap((e) =>
    e.type === "call.completed" ? [e.payload.status] : [],
  );
  expect(statuses).toEqual(["ok", "upstream_unavailable", "ok"]);
  const log = running.log.join("\n");
  expect(log).toContain('upstream "fragile" exited');
  expect(log).toContain('restarting upstream "fragile"');
  expect(log).toMatch(/fragile/);
  await client.close();
});

test("several upstreams behind one gateway: colliding names are qualified, server-qualified rules apply", async () => {
  const policy = {
    version: "1",
    default: "deny",
    tools: { "e1:echo": {}, "e2:echo": { action: "deny", reason: "not e2" } },
  };
  running = await startHttpGateway(policy, [everythingServer("e1"), everythingServer("e2")]);
  const client = await httpClient(running.http.url);
  const names = (await client.listTools()).tools.map((t) => t.name);
  expect(names).toContain("e1__echo");
  expect(names).toContain("e2__echo");
  expect(names).not.toContain("echo");
  expect(await client.callTool({ name: "e1__echo", arguments: { message: "hi" } })).toMatchObject({
    content: [{ text: "Echo: hi" }],
  });
  const refused = await client.callTool({ name: "e2__echo", arguments: { message: "hi" } });
  expect(refused.isError).toBe(true);
  expect(JSON.stringify(refused.content)).toContain('not e2 [rule: tools[\\"e2:echo\\"]]');
  await running.gateway.core.recorder.flush();
  const decided = running.sink.events.filter(
    (e): e is Extract<TollgateEvent, { type: "call.decided" }> => e.type === "call.decided",
  );
  expect(
    decided.map((e) => [e.payload.call.server, e.payload.call.tool, e.payload.decision.outcome]),
  ).toEqual([
    ["e1", "echo", "allow"],
    ["e2", "echo", "deny"],
  ]);
  await client.close();
});

test("with the event buffer full and the sink down, a fail-closed gateway denies calls and says why", async () => {
  class DownSink extends MemorySink {
    override async publish(): Promise<void> {
      throw new Error("sink down");
    }
  }
  const compiled = compilePolicy({ version: "1", default: "allow" });
  if (!compiled.ok) throw new Error("policy");
  const log: string[] = [];
  const gateway = new Gateway({
    policy: compiled.policy,
    upstreams: [everythingServer()],
    sink: new DownSink(),
    eventBuffer: 4,
    onEventBufferFull: "fail_closed",
    log: (m) => log.push(m),
  });
  const http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex(AGENT_TOKEN), agent: "a", grant: "g" }],
    admins: [],
  });
  const client = await httpClient(http.url);
  const results = [];
  for (let i = 0; i < 3; i++)
    results.push(await client.callTool({ name: "echo", arguments: { message: `m${i}` } }));
  // policy.loaded + 2 events per call. The limit gates new calls only; a call already under way keeps its
  // events (its completion is never lost), so after two calls 5 events wait and the third call is refused.
  expect(results.map((r) => r.isError === true)).toEqual([false, false, true]);
  expect(JSON.stringify(results[2]?.content)).toContain("the audit trail is unavailable (event buffer full)");
  expect(log.join("\n")).toContain("event sink failed (Error: sink down)");
  const health = await (await fetch(http.url.replace("/mcp", "/healthz"))).json();
  expect(health).toMatchObject({ status: "failing_closed", eventsBuffered: 5, eventsLost: 0 });
  await client.close();
  await http.close();
  gateway.core.approvals.closeAll();
});
