/**
 * `tollgate up` as a real process, the way `npm start` runs it, on free ports (never the defaults
 * 8787/8788, so a running `npm start` cannot make a test fail) and in the caller's data directory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { upstreamCommand } from "@tollgate/upstreams";
import { freePorts } from "./free-port.js";
import { exited, healthy } from "./waiting.js";

const BIN = fileURLToPath(new URL("../../cli/bin/tollgate.mjs", import.meta.url));

export interface UpOptions {
  data: string;
  /** What says which policy, agents and upstreams: `--config FILE`, or flags (see `upstreamArgs`). */
  args: string[];
  env?: Record<string, string>;
}

export interface RunningUp {
  process: ChildProcess;
  /** Where agents connect. */
  mcpUrl: string;
  /** The API and the UI. */
  apiUrl: string;
  /** Everything it wrote to stderr so far. */
  log(): string;
  /** SIGINT (up drains the spool into ClickHouse first), then its exit code. */
  stop(): Promise<number | null>;
}

/** `--server-id k8s -- <the Kubernetes fixture>`: the upstream part of a flag-style `up`. */
export function k8sUpstreamArgs(): string[] {
  const upstream = upstreamCommand("k8s");
  return ["--server-id", "k8s", "--", upstream.command, ...upstream.args];
}

export async function startUp(options: UpOptions): Promise<RunningUp> {
  const [gatewayPort, apiPort] = (await freePorts(2)) as [number, number];
  const listen = ["--listen", `127.0.0.1:${gatewayPort}`, "--api-listen", `127.0.0.1:${apiPort}`];
  // Flags after `--` belong to the upstream's command: ours go before them.
  const split = options.args.indexOf("--");
  const args =
    split === -1
      ? [...options.args, ...listen]
      : [...options.args.slice(0, split), ...listen, ...options.args.slice(split)];
  const child = spawn(process.execPath, [BIN, "up", "--data", options.data, ...args], {
    env: { ...process.env, CLICKHOUSE_URL: "", ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log += chunk.toString("utf8");
  });
  try {
    await Promise.all([healthy(gatewayPort, 30_000), healthy(apiPort, 30_000)]);
  } catch (error) {
    child.kill("SIGKILL"); // it never came up: leave no process behind
    throw new Error(`tollgate up did not come up: ${(error as Error).message}\n${log}`);
  }
  return {
    process: child,
    mcpUrl: `http://127.0.0.1:${gatewayPort}/mcp`,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    log: () => log,
    async stop() {
      child.kill("SIGINT");
      return exited(child);
    },
  };
}
