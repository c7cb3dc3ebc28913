import { getEventListeners } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serveHttp as serveUpstream } from "@tollgate/upstreams";
import { afterAll, beforeAll, expect, test } from "vitest";
import { fetchWithOwnSignal } from "../src/fetch.js";
import { httpClient, type Running, startHttpGateway } from "./helpers.js";

let sse: Server;
let sseUrl: string;

beforeAll(async () => {
  // A server that answers every request with a short SSE stream, the way Streamable HTTP does.
  sse = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write('event: message\ndata: {"ok":true}\n\n');
    setTimeout(() => response.end(), 5);
  });
  await new Promise<void>((resolve) => sse.listen(0, "127.0.0.1", resolve));
  sseUrl = `http://127.0.0.1:${(sse.address() as AddressInfo).port}/`;
});

afterAll(() => new Promise<void>((resolve) => sse.close(() => resolve())));

test("500 streamed requests on one shared signal leave no listener on it", async () => {
  const shared = new AbortController();
  const ownFetch = fetchWithOwnSignal();
  for (let i = 0; i < 500; i++) {
    const response = await ownFetch(sseUrl, { signal: shared.signal });
    expect(await response.text()).toContain('"ok":true');
  }
  expect(getEventListeners(shared.signal, "abort")).toHaveLength(0);
});

test("aborting the shared signal still stops a request in flight", async () => {
  const shared = new AbortController();
  const slow = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/event-stream" });
    response.write(": open\n\n"); // and never end
  });
  await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
  const response = await fetchWithOwnSignal()(`http://127.0.0.1:${(slow.address() as AddressInfo).port}/`, {
    signal: shared.signal,
  });
  const reading = response.text();
  shared.abort(new Error("transport closed"));
  await expect(reading).rejects.toThrow();
  slow.closeAllConnections();
  await new Promise<void>((resolve) => slow.close(() => resolve()));
});

let upstream: { url: string; close(): Promise<void> };
let running: Running;

test("the gateway in front of an upstream served over Streamable HTTP", async () => {
  upstream = await serveUpstream("k8s", { port: 0 });
  running = await startHttpGateway({ version: "1", default: "deny", tools: { "k8s_get_*": {} } }, [
    { id: "k8s", url: upstream.url },
  ]);
  const client = await httpClient(running.http.url);
  expect((await client.listTools()).tools).toHaveLength(57);
  for (let i = 0; i < 20; i++) {
    const result = await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "prod-eu" } });
    expect(JSON.stringify(result.content)).toContain("payments");
  }
  const denied = await client.callTool({
    name: "k8s_delete_ns",
    arguments: { context: "prod-eu", name: "shop" },
  });
  expect(denied.isError).toBe(true);
  await client.close();
  await running.close();
  await upstream.close();
});
