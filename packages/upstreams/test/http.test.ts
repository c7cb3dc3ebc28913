import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type HttpUpstream, k8sTools, ocmTools, serveHttp } from "../src/index.js";
import { call, jsonOf, readToolFile, textOf } from "./helpers.js";

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: "upstreams-http-test", version: "0.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe("fixture servers over Streamable HTTP", () => {
  let k8s: HttpUpstream;
  let ocm: HttpUpstream;
  const clients: Client[] = [];

  beforeAll(async () => {
    [k8s, ocm] = await Promise.all([serveHttp("k8s", { port: 0 }), serveHttp("ocm", { port: 0 })]);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all([k8s?.close(), ocm?.close()]);
  });

  async function session(upstream: HttpUpstream): Promise<Client> {
    const client = await connect(upstream.url);
    clients.push(client);
    return client;
  }

  test("listens on loopback at /mcp", () => {
    for (const upstream of [k8s, ocm]) expect(upstream.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
  });

  test("tools/list matches the data files, and the exported definitions do too", async () => {
    const [k8sClient, ocmClient] = await Promise.all([session(k8s), session(ocm)]);
    expect((await k8sClient.listTools()).tools).toEqual(
      readToolFile("k8s-multicluster-mcp.tools.json").tools,
    );
    expect((await ocmClient.listTools()).tools).toEqual(readToolFile("ocm-mcp-server.tools.json").tools);
    expect(k8sTools).toEqual(readToolFile("k8s-multicluster-mcp.tools.json").tools);
    expect(ocmTools).toEqual(readToolFile("ocm-mcp-server.tools.json").tools);
  });

  test("sessions of one server share its cluster: one client's change is the next one's read", async () => {
    const writer = await session(k8s);
    const reader = await session(k8s);
    expect(
      (await call(writer, "k8s_create_ns", { context: "prod-eu", name: "shared-by-http" })).isError,
    ).toBeFalsy();
    expect(jsonOf<string[]>(await call(reader, "k8s_get_namespaces", { context: "prod-eu" }))).toContain(
      "shared-by-http",
    );
  });

  test("kube_executor answers with structured content over HTTP too", async () => {
    const client = await session(ocm);
    const result = await call(client, "kube_executor", { command: "kubectl get nodes", cluster: "staging" });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ result: textOf(result) });
    expect(textOf(result)).toMatch(/Ready/);
  });

  test("requests outside a session or off the endpoint are refused", async () => {
    const base = new URL(k8s.url);
    const elsewhere = await fetch(new URL("/other", base));
    expect(elsewhere.status).toBe(404);
    const sessionless = await fetch(base, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(sessionless.status).toBe(400);
  });

  test("after close, the server no longer accepts connections", async () => {
    const spare = await serveHttp("k8s", { port: 0 });
    await spare.close();
    await expect(connect(spare.url)).rejects.toThrow();
  });
});
