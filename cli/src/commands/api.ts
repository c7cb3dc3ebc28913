/**
 * `tollgate api`: the forensics API (and the web UI) on its own, over a store — for when the
 * gateway and ingest run elsewhere. `tollgate up` runs the same API in its own process.
 */
import {
  ADMIN_TOKEN_ENV,
  credentialsFromEnv,
  DEFAULT_API_PORT,
  type GatewayControl,
  READ_TOKEN_ENV,
  startApi,
} from "@tollgate/api";
import type { Command } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";
import type { Output } from "../output.js";
import { parseListenAddress } from "./listen.js";
import { DEFAULT_STORE, openLocalStore } from "./query.js";
import { untilSignalled } from "./signals.js";

export interface ApiCommandOptions {
  store: string;
  listen: string;
  /** The gateway's base URL, for approvals. */
  gatewayControl?: string;
  /** A variable holding an admin token the gateway accepts; without it, callers' tokens are passed on. */
  gatewayTokenEnv?: string;
  readTokenEnv: string;
  adminTokenEnv: string;
}

export const DEFAULT_API_LISTEN = `127.0.0.1:${DEFAULT_API_PORT}`;

export function addApiCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  program
    .command("api")
    .description("serve the forensics API and web UI over the event store (tollgate up runs it too)")
    .option(
      "--store <dir>",
      "embedded ClickHouse (chDB) directory; CLICKHOUSE_URL, when set, wins",
      DEFAULT_STORE,
    )
    .option("--listen <host:port>", "where to listen (host defaults to 127.0.0.1)", DEFAULT_API_LISTEN)
    .option("--gateway-control <url>", "the gateway's base URL, for approvals (e.g. http://127.0.0.1:8787)")
    .option(
      "--gateway-token-env <var>",
      "an admin token the gateway accepts; without it, each caller's own token is passed to the gateway",
    )
    .option("--read-token-env <var>", "environment variable with the read token", READ_TOKEN_ENV)
    .option(
      "--admin-token-env <var>",
      "environment variable with the admin token (approvals, replays)",
      ADMIN_TOKEN_ENV,
    )
    .addHelpText(
      "after",
      `\nTokens come from the environment (or VAR_SHA256 with a sha256 digest), never from files.\nExample:\n  ${READ_TOKEN_ENV}=… ${ADMIN_TOKEN_ENV}=… tollgate api --store .tollgate/clickhouse --gateway-control http://127.0.0.1:8787`,
    )
    .exitOverride()
    .action(async (options: ApiCommandOptions) => setExitCode(await apiCommand(options, output)));
}

export async function apiCommand(options: ApiCommandOptions, output: Output): Promise<number> {
  const credentials = credentialsFromEnv({ read: options.readTokenEnv, admin: options.adminTokenEnv });
  if (credentials.length === 0) {
    throw new UsageError(
      `no API tokens: set ${options.readTokenEnv} (read) and/or ${options.adminTokenEnv} (admin, also approves and replays)`,
    );
  }
  const address = parseListenAddress(options.listen);
  const gateway = gatewayControlOf(options);
  const store = await openLocalStore(options.store);
  try {
    const api = await listen(
      () =>
        startApi({
          store,
          credentials,
          ...address,
          ...(gateway ? { gateway } : {}),
          log: (m) => output.err(m),
        }),
      options.listen,
      "--listen",
    );
    output.err(
      `tollgate api: ${api.url}/api/v1 (UI at ${api.url}/), store ${store.target.kind === "http" ? store.target.url : store.target.path}, ` +
        `approvals ${gateway === undefined ? "off (no --gateway-control)" : `via ${gateway.url}`}`,
    );
    await untilSignalled();
    await api.close();
    return ExitCode.ok;
  } finally {
    await store.close();
  }
}

function gatewayControlOf(options: ApiCommandOptions): GatewayControl | undefined {
  if (options.gatewayControl === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(options.gatewayControl);
  } catch {
    throw new UsageError(
      `--gateway-control "${options.gatewayControl}" is not a URL (e.g. http://127.0.0.1:8787)`,
    );
  }
  if (options.gatewayTokenEnv === undefined) return { url: url.toString() };
  const token = process.env[options.gatewayTokenEnv];
  if (token === undefined || token === "")
    throw new UsageError(`environment variable ${options.gatewayTokenEnv} is not set`);
  return { url: url.toString(), token };
}

/** Starts a listener; a taken address is a usage error that names the option to change. */
export async function listen<T>(start: () => Promise<T>, address: string, option: string): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES")
      throw new UsageError(
        `the API cannot listen on ${address} (${code}): choose another with ${option} HOST:PORT`,
      );
    throw error;
  }
}
