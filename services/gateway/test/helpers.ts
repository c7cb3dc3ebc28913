/** Test wiring: a real gateway in front of real MCP servers, driven by the SDK's real client. */
import { createRequire } from "node:module";
import { Client, type ClientOptions } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { MemorySink } from "@tollgate/events";
import { compilePolicy } from "@tollgate/policy";
import { Gateway, type HttpGateway, serveHttp, sha256Hex, type UpstreamSpec } from "../src/index.js";

const require = createRequire(import.meta.url);

export function everythingServer(id = "everything"): UpstreamSpec {
  return {
    id,
    command: process.execPath,
    args: [require.resolve("@modelcontextprotocol/server-everything/dist/index.js")],
  };
}

export function filesystemServer(root: string, id = "fs"): UpstreamSpec {
  return {
    id,
    command: process.execPath,
    args: [require.resolve("@modelcontextprotocol/server-filesystem/dist/index.js"), root],
  };
}

export const AGENT_TOKEN = "agent-token-for-tests";
export const OTHER_AGENT_TOKEN = "other-agent-token";
export const ADMIN_TOKEN = "admin-token-for-tests";

export interface Running {
  gateway: Gateway;
  http: HttpGateway;
  sink: MemorySink;
  log: string[];
  close(): Promise<void>;
}

export async function startHttpGateway(
  policyDoc: unknown,
  upstreams: UpstreamSpec[],
  approvalProgressMs = 200,
): Promise<Running> {
  const compiled = compilePolicy(policyDoc);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  const sink = new MemorySink();
  const log: string[] = [];
  const gateway = new Gateway({
    policy: compiled.policy,
    upstreams,
    sink,
    approvalProgressMs,
    log: (m) => log.push(m),
  });
  const http = await serveHttp(gateway, {
    agents: [
      { tokenSha256: sha256Hex(AGENT_TOKEN), agent: "claude-1", grant: "ops" },
      { tokenSha256: sha256Hex(OTHER_AGENT_TOKEN), agent: "cursor-7", grant: "dev" },
    ],
    admins: [{ tokenSha256: sha256Hex(ADMIN_TOKEN), name: "alice" }],
  });
  return {
    gateway,
    http,
    sink,
    log,
    async close() {
      await http.close();
      await gateway.close();
    },
  };
}

export async function httpClient(url: string, token = AGENT_TOKEN, options?: ClientOptions): Promise<Client> {
  const client = new Client({ name: "tollgate-test", version: "1.0.0" }, options);
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

export async function directClient(spec: UpstreamSpec): Promise<Client> {
  const client = new Client({ name: "tollgate-test-direct", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: spec.command as string, args: spec.args ?? [], stderr: "ignore" }),
  );
  return client;
}
