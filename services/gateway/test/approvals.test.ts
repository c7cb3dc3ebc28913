import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { TollgateEvent } from "@tollgate/events";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  ADMIN_TOKEN,
  AGENT_TOKEN,
  everythingServer,
  httpClient,
  type Running,
  startHttpGateway,
} from "./helpers.js";

const policy = {
  version: "1",
  default: "deny",
  tools: {
    echo: { action: "approve", reason: "echo needs a person", approval: { timeout: "30s" } },
    "get-sum": { action: "approve", approval: { timeout: 1 } },
  },
};

let running: Running;
let client: Client;
const base = () => running.http.url.replace(/\/mcp$/, "");

beforeAll(async () => {
  running = await startHttpGateway(policy, [everythingServer()], 100);
  client = await httpClient(running.http.url, AGENT_TOKEN);
});
afterAll(async () => {
  await client?.close();
  await running?.close();
});

async function pendingApprovals(): Promise<
  { id: string; tool: string; arguments: unknown; identity: { agent: string } }[]
> {
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${base()}/approvals`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const { approvals } = (await response.json()) as { approvals: [] };
    if (approvals.length > 0) return approvals;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("no approval appeared");
}

function resolve(id: string, verdict: "approve" | "deny", token = ADMIN_TOKEN, body: unknown = {}) {
  return fetch(`${base()}/approvals/${id}/${verdict}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

test("a held call waits, with progress, until a person approves it; then it runs", async () => {
  const progress: string[] = [];
  const call = client.callTool({ name: "echo", arguments: { message: "please" } }, undefined, {
    onprogress: (p) => progress.push(p.message ?? ""),
  });
  const [pending] = await pendingApprovals();
  expect(pending).toMatchObject({
    tool: "echo",
    arguments: { message: "please" },
    identity: { agent: "claude-1" },
  });
  expect((await resolve(pending!.id, "approve", AGENT_TOKEN)).status).toBe(401); // an agent cannot approve
  const approved = await resolve(pending!.id, "approve", ADMIN_TOKEN, { note: "looks fine" });
  expect(await approved.json()).toMatchObject({ resolution: "approved", by: "alice" });
  expect(await call).toMatchObject({ content: [{ text: "Echo: please" }] });
  expect(progress[0]).toMatch(/^waiting for a person to approve \(approval .+, \d+s left\)$/);
  await running.gateway.core.recorder.flush();
  const trail = running.sink.events
    .filter((e: TollgateEvent) => e.type !== "policy.loaded")
    .map((e) => e.type);
  expect(trail).toEqual([
    "call.decided",
    "approval.requested",
    "approval.resolved",
    "call.decided",
    "call.completed",
  ]);
  const resolved = running.sink.events.find((e) => e.type === "approval.resolved");
  expect(resolved).toMatchObject({ payload: { resolution: "approved", by: "alice", note: "looks fine" } });
});

test("a denied approval refuses the call and names who denied it", async () => {
  const call = client.callTool({ name: "echo", arguments: { message: "again" } });
  const [pending] = await pendingApprovals();
  await resolve(pending!.id, "deny", ADMIN_TOKEN, { note: "not now" });
  const result = await call;
  expect(result.isError).toBe(true);
  expect(JSON.stringify(result.content)).toContain('alice denied \\"echo\\": not now');
  expect((await resolve(pending!.id, "approve")).status).toBe(404);
});

test("an unanswered approval times out to a denial", async () => {
  const result = await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } });
  expect(result.isError).toBe(true);
  expect(JSON.stringify(result.content)).toContain('no one approved \\"get-sum\\" within 1s');
  const resolved = running.sink.events.filter((e) => e.type === "approval.resolved").at(-1);
  expect(resolved).toMatchObject({ payload: { resolution: "timed_out" } });
});
