/**
 * Streamable HTTP for the fixture servers: stateful sessions on node:http at /mcp. All sessions of
 * one serveHttp share a single simulated cluster, so what one client changes the next one sees.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { SimulatedCluster } from "./cluster.js";
import { createUpstreamServer, type UpstreamKind } from "./upstream.js";

export interface ServeHttpOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  cluster?: SimulatedCluster;
}

export interface HttpUpstream {
  /** The MCP endpoint, e.g. http://127.0.0.1:43121/mcp */
  url: string;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error("request body too large");
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function rpcError(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

export async function serveHttp(kind: UpstreamKind, options: ServeHttpOptions): Promise<HttpUpstream> {
  const host = options.host ?? "127.0.0.1";
  const cluster = options.cluster ?? new SimulatedCluster();
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let allowedHosts: string[] = [];

  async function startSession(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body: unknown;
    try {
      body = await readJson(request);
    } catch {
      return rpcError(response, 400, "Parse error: the body is not JSON");
    }
    if (!isInitializeRequest(body))
      return rpcError(response, 400, "Bad Request: No valid session ID provided");
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void sessions.set(id, transport),
      // Only this listener's own host names: a page on another origin cannot reach a local fixture.
      enableDnsRebindingProtection: true,
      allowedHosts,
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await createUpstreamServer(kind, { cluster }).connect(transport);
    await transport.handleRequest(request, response, body);
  }

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (new URL(request.url ?? "/", "http://fixture").pathname !== "/mcp")
      return rpcError(response, 404, "Not Found");
    const sessionId = request.headers["mcp-session-id"];
    if (typeof sessionId !== "string") {
      if (request.method !== "POST")
        return rpcError(response, 400, "Bad Request: No valid session ID provided");
      return startSession(request, response);
    }
    const transport = sessions.get(sessionId);
    if (!transport) return rpcError(response, 404, "Session not found");
    await transport.handleRequest(request, response);
  }

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      process.stderr.write(`upstream ${kind}: ${error instanceof Error ? error.stack : String(error)}\n`);
      if (!response.headersSent) rpcError(response, 500, "Internal server error");
      else response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  allowedHosts = [`${host}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`];

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/mcp`,
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((transport) => transport.close()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
