/** What tollgate passes through untouched, and what it tells agents when the policy changes. */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { type McpError, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { MemorySink } from "@tollgate/events";
import { loadPolicyFile } from "@tollgate/policy";
import { afterAll, beforeAll, expect, test } from "vitest";
import { Gateway, type HttpGateway, serveHttp, sha256Hex } from "../src/index.js";
import { AGENT_TOKEN, directClient, everythingServer, httpClient } from "./helpers.js";

let dir: string;
let gateway: Gateway;
let http: HttpGateway;
let client: Client;
let direct: Client;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tollgate-passthrough-"));
  const policyFile = join(dir, "policy.json");
  await writeFile(policyFile, JSON.stringify({ version: "1", default: "allow" }));
  gateway = new Gateway({
    policy: await loadPolicyFile(policyFile),
    policyFile,
    upstreams: [everythingServer()],
    sink: new MemorySink(),
    log: () => {},
  });
  http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex(AGENT_TOKEN), agent: "a", grant: "g" }],
    admins: [],
  });
  client = await httpClient(http.url);
  direct = await directClient(everythingServer());
});

afterAll(async () => {
  await client?.close();
  await direct?.close();
  await http?.close();
  await gateway?.close();
});

test("resources and prompts pass through unchanged", async () => {
  const resources = await client.listResources();
  expect(resources).toEqual(await direct.listResources());
  const first = resources.resources[0];
  expect(first).toBeDefined();
  expect(await client.readResource({ uri: first!.uri })).toEqual(
    await direct.readResource({ uri: first!.uri }),
  );
  const prompts = await client.listPrompts();
  expect(prompts).toEqual(await direct.listPrompts());
  const simple = prompts.prompts.find((p) => (p.arguments ?? []).every((a) => !a.required));
  expect(simple).toBeDefined();
  expect(await client.getPrompt({ name: simple!.name })).toEqual(
    await direct.getPrompt({ name: simple!.name }),
  );
});

test("an upstream's refusal reaches the agent as the upstream sent it (error result or JSON-RPC error)", async () => {
  const outcome = (c: Client, name: string, args: Record<string, unknown>) =>
    c.callTool({ name, arguments: args }).then(
      (result) => ({ result }),
      (error: McpError) => ({ code: error.code, message: error.message }),
    );
  // Unknown to the upstream (the policy allows everything), and invalid arguments for a known tool.
  expect(await outcome(client, "no-such-tool", {})).toEqual(await outcome(direct, "no-such-tool", {}));
  expect(await outcome(client, "get-sum", { a: "one" })).toEqual(
    await outcome(direct, "get-sum", { a: "one" }),
  );
  const refused = await outcome(client, "get-sum", { a: "one" });
  expect("code" in refused || refused.result.isError === true).toBe(true);
});

test("a string request id comes back exactly as the agent sent it", async () => {
  const headers = {
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${AGENT_TOKEN}`,
  };
  const init = await fetch(http.url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "init-⚙-1",
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    }),
  });
  expect(await init.text()).toContain('"id":"init-⚙-1"');
  const session = init.headers.get("mcp-session-id") ?? "";
  const ping = await fetch(http.url, {
    method: "POST",
    headers: { ...headers, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: "call/α",
      method: "tools/call",
      params: { name: "echo", arguments: { message: "x" } },
    }),
  });
  const body = await ping.text();
  expect(body).toContain('"id":"call/α"');
  expect(body).toContain("Echo: x");
});

test("a policy reload that hides a tool tells the agent to list again, and the list no longer shows it", async () => {
  const changed = new Promise<void>((resolve) =>
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
  );
  expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
  await writeFile(
    join(dir, "policy.json"),
    JSON.stringify({ version: "1", default: "allow", tools: { echo: { hide: true } } }),
  );
  await gateway.reloadPolicy();
  await changed;
  expect((await client.listTools()).tools.map((t) => t.name)).not.toContain("echo");
});
