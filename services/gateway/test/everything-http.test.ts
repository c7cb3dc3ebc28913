/**
 * tollgate in front of the real @modelcontextprotocol/server-everything (stdio upstream), reached by
 * the SDK's real client over Streamable HTTP: faithful proxying and enforcement.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { CreateMessageRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { TollgateEvent } from "@tollgate/events";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { META_PREFIX } from "../src/index.js";
import {
  AGENT_TOKEN,
  directClient,
  everythingServer,
  httpClient,
  type Running,
  startHttpGateway,
} from "./helpers.js";

const policy = {
  version: "1",
  default: "deny",
  tools: {
    echo: { limits: [{ counter: "echo_rate", window: "minute", max: 3, scope: "grant" }] },
    "get-*": {},
    "get-env": { action: "deny", reason: "environment variables may hold secrets" },
    "get-sum": { deny_if: [{ arg: "a", gt: 100, reason: "sums over 100 are not for agents" }] },
    "get-tiny-image": { hide: true },
    "trigger-long-running-operation": {},
    "trigger-sampling-request": {},
  },
};

let running: Running;
let client: Client;
let direct: Client;

beforeAll(async () => {
  running = await startHttpGateway(policy, [everythingServer()]);
  client = await httpClient(running.http.url, AGENT_TOKEN, { capabilities: { sampling: {} } });
  direct = await directClient(everythingServer());
});

afterAll(async () => {
  await client?.close();
  await direct?.close();
  await running?.close();
});

function eventsFor(type: TollgateEvent["type"]) {
  return running.sink.events.filter((event) => event.type === type);
}

describe("faithful proxying", () => {
  test("tools/list is the upstream's list, unchanged, minus hidden tools", async () => {
    const through = await client.listTools();
    const straight = await direct.listTools();
    const visible = straight.tools.filter((tool) => tool.name !== "get-tiny-image");
    // trigger-sampling-request is offered only to clients that can sample: compare the common part exactly.
    const common = through.tools.filter((tool) => visible.some((v) => v.name === tool.name));
    expect(common).toEqual(visible);
    expect(through.tools.map((t) => t.name)).not.toContain("get-tiny-image");
  });

  test("an allowed call's result passes through unchanged, structuredContent included", async () => {
    const args = { location: "Chicago" };
    const through = await client.callTool({ name: "get-structured-content", arguments: args });
    const straight = await direct.callTool({ name: "get-structured-content", arguments: args });
    expect(through).toEqual(straight);
    expect(through.structuredContent).toBeDefined();
  });

  test("progress notifications reach the agent", async () => {
    const progress: number[] = [];
    const result = await client.callTool(
      { name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p.progress) },
    );
    expect(result.isError).toBeFalsy();
    expect(progress).toEqual([1, 2, 3]);
  });

  test("server-to-client sampling requests are relayed to the agent and answered", async () => {
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: "test-model",
      role: "assistant",
      content: { type: "text", text: "sampled by the agent" },
    }));
    const result = await client.callTool({
      name: "trigger-sampling-request",
      arguments: { prompt: "hi", maxTokens: 10 },
    });
    expect(JSON.stringify(result.content)).toContain("sampled by the agent");
  });
});

describe("enforcement", () => {
  test("an allowed call is decided, recorded, and completed", async () => {
    const result = await client.callTool({ name: "echo", arguments: { message: "hello" } });
    expect(result.content).toEqual([{ type: "text", text: "Echo: hello" }]);
    await running.gateway.core.recorder.flush();
    const decided = eventsFor("call.decided").find(
      (e) => e.type === "call.decided" && e.payload.call.tool === "echo",
    );
    expect(decided).toMatchObject({
      session: { agent: "claude-1", grant: "ops", transport: "http", client: { name: "tollgate-test" } },
      payload: {
        call: { server: "everything", arguments: { message: "hello" } },
        decision: { outcome: "allow", rule: "tools.echo" },
      },
    });
    const callId = decided?.type === "call.decided" ? decided.payload.call.id : "";
    const completed = eventsFor("call.completed").find(
      (e) => e.type === "call.completed" && e.payload.callId === callId,
    );
    expect(completed).toMatchObject({ payload: { status: "ok" } });
  });

  test("a denied tool comes back as a tool error naming the rule and the reason", async () => {
    const result = await client.callTool({ name: "get-env", arguments: {} });
    expect(result.isError).toBe(true);
    expect(result.content).toEqual([
      {
        type: "text",
        text: 'tollgate denied this call: environment variables may hold secrets [rule: tools["get-env"]]',
      },
    ]);
    expect(result._meta?.[`${META_PREFIX}decision`]).toMatchObject({
      outcome: "deny",
      rule: 'tools["get-env"]',
    });
  });

  test("argument conditions refuse what they describe, and only that", async () => {
    const ok = await client.callTool({ name: "get-sum", arguments: { a: 2, b: 3 } });
    expect(JSON.stringify(ok.content)).toContain("5");
    const refused = await client.callTool({ name: "get-sum", arguments: { a: 101, b: 3 } });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain("sums over 100 are not for agents");
  });

  test("the 4th echo within a minute is rate-limited", async () => {
    const outcomes: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await client.callTool({ name: "echo", arguments: { message: `n${i}` } });
      outcomes.push(result.isError === true);
    }
    // One echo was made by an earlier test in this file: calls 2–3 of these are the 3rd and 4th.
    expect(outcomes).toEqual([false, false, true]);
  });

  test("a hidden tool is an unknown tool (-32602)", async () => {
    const error = await client.callTool({ name: "get-tiny-image", arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(-32602);
  });
});

describe("the HTTP edge", () => {
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "0" } },
  };
  const post = (headers: Record<string, string>, body: string) =>
    fetch(running.http.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
        ...headers,
      },
      body,
    });

  test("no token, a wrong token: 401", async () => {
    expect((await post({}, JSON.stringify(initialize))).status).toBe(401);
    expect((await post({ authorization: "Bearer nope" }, JSON.stringify(initialize))).status).toBe(401);
  });

  test("a foreign Origin is refused (DNS rebinding)", async () => {
    const response = await post(
      { authorization: `Bearer ${AGENT_TOKEN}`, origin: "http://evil.example" },
      JSON.stringify(initialize),
    );
    expect(response.status).toBe(403);
  });

  test("malformed JSON gets a JSON-RPC parse error", async () => {
    const response = await post({ authorization: `Bearer ${AGENT_TOKEN}` }, "{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", id: null, error: { code: -32700 } });
  });

  test("an unknown session id is 404", async () => {
    const response = await post(
      { authorization: `Bearer ${AGENT_TOKEN}`, "mcp-session-id": "nope" },
      JSON.stringify(initialize),
    );
    expect(response.status).toBe(404);
  });
});
