/**
 * Latency a tools/call gains through tollgate, policy and events on, against calling the upstream
 * directly, and against another MCP proxy (mcp-proxy) in front of the same stdio upstream.
 * Every party is a real process on loopback; the client is the MCP SDK's; calls are sequential.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Figure } from "./policy.bench.js";

const require = createRequire(import.meta.url);
const everything = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");
const tollgate = fileURLToPath(new URL("../cli/bin/tollgate.mjs", import.meta.url));
const mcpProxy = require.resolve("mcp-proxy/dist/bin/mcp-proxy.mjs");
const TOKEN = "bench-token";
const CALLS = Number(process.env.TOLLGATE_BENCH_CALLS ?? 2000);
const WARMUP = 200;

const POLICY = {
  version: "1",
  default: "deny",
  tools: {
    echo: { limits: [{ counter: "echo", window: "second", max: 1_000_000, scope: "grant" }] },
    "get-env": { action: "deny" },
  },
};

interface Party {
  name: string;
  transport: () => Transport;
}

export async function runGatewayBench(): Promise<Figure[]> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-bench-"));
  const policy = join(dir, "policy.json");
  await writeFile(policy, JSON.stringify(POLICY));
  const processes: ChildProcess[] = [];
  const start = (command: string, args: string[], env: Record<string, string> = {}) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: "ignore" });
    processes.push(child);
    return child;
  };
  try {
    const ports = {
      upstream: await freePort(),
      viaHttp: await freePort(),
      viaStdio: await freePort(),
      proxy: await freePort(),
    };
    start(process.execPath, [everything, "streamableHttp"], { PORT: String(ports.upstream) });
    const config = join(dir, "gateway.yaml");
    await writeFile(
      config,
      `upstreams:\n  - id: everything\n    url: http://127.0.0.1:${ports.upstream}/mcp\nagents:\n  - {agent: bench, grant: ops, token_env: BENCH_TOKEN}\n`,
    );
    const env = { BENCH_TOKEN: TOKEN };
    const gatewayArgs = (port: number) => [
      tollgate,
      "gateway",
      "--policy",
      policy,
      "--events",
      join(dir, `events-${port}.jsonl`),
      "--listen",
      `127.0.0.1:${port}`,
    ];
    start(process.execPath, [...gatewayArgs(ports.viaHttp), "--config", config], env);
    start(
      process.execPath,
      [
        ...gatewayArgs(ports.viaStdio),
        "--agent-token-env",
        "BENCH_TOKEN",
        "--",
        process.execPath,
        everything,
      ],
      env,
    );
    start(process.execPath, [
      mcpProxy,
      "--port",
      String(ports.proxy),
      "--host",
      "127.0.0.1",
      "--server",
      "stream",
      "--",
      process.execPath,
      everything,
    ]);
    await Promise.all(Object.values(ports).map((port) => waitForPort(port)));

    const http = (port: number, token?: string) => () =>
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
        requestInit: token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      });
    const stdio = (args: string[]) => () =>
      new StdioClientTransport({ command: process.execPath, args, stderr: "ignore" });
    const parties: Party[] = [
      { name: "stdio: direct", transport: stdio([everything]) },
      {
        name: "stdio: through tollgate",
        transport: stdio([
          tollgate,
          "gateway",
          "--policy",
          policy,
          "--events",
          join(dir, "events-stdio.jsonl"),
          "--",
          process.execPath,
          everything,
        ]),
      },
      { name: "HTTP: direct (upstream over HTTP)", transport: http(ports.upstream) },
      { name: "HTTP: through tollgate → HTTP upstream", transport: http(ports.viaHttp, TOKEN) },
      { name: "HTTP: through tollgate → stdio upstream", transport: http(ports.viaStdio, TOKEN) },
      { name: "HTTP: through mcp-proxy → stdio upstream", transport: http(ports.proxy) },
    ];
    const figures: Figure[] = [];
    for (const party of parties) figures.push(...(await measure(party)));
    return figures;
  } finally {
    for (const child of processes) child.kill("SIGTERM");
  }
}

async function measure(party: Party): Promise<Figure[]> {
  const client = new Client({ name: "tollgate-bench", version: "1" });
  await client.connect(party.transport());
  const latencies: number[] = [];
  for (let i = 0; i < WARMUP + CALLS; i++) {
    const started = performance.now();
    const result = await client.callTool({ name: "echo", arguments: { message: `m${i}` } });
    const elapsed = performance.now() - started;
    if (result.isError) throw new Error(`${party.name}: echo failed: ${JSON.stringify(result.content)}`);
    if (i >= WARMUP) latencies.push(elapsed);
  }
  await client.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] as number;
  return [
    { name: `${party.name}, p50`, value: at(0.5), unit: "ms" },
    { name: `${party.name}, p99`, value: at(0.99), unit: "ms" },
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within 20 s`);
}
