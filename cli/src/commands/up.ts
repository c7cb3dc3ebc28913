/**
 * `tollgate up`: everything on one machine in one process, the embedded default — the gateway over
 * HTTP writing events to a local spool, ingest moving them into an embedded ClickHouse (chDB), and
 * the forensics API and web UI over the same store (the embedded store can be open in one process
 * only, so the API lives here, and approvals reach the gateway through its control endpoint).
 */
import { join } from "node:path";
import {
  ADMIN_TOKEN_ENV,
  credentialsFromEnv,
  READ_TOKEN_ENV,
  type RunningApi,
  startApi,
} from "@tollgate/api";
import { IngestMetrics, ingestFromSpool, JsonlDeadLetters } from "@tollgate/ingest";
import { openStore, type Store, storeOptionsFromEnv } from "@tollgate/store";
import type { Output } from "../output.js";
import { DEFAULT_API_LISTEN, listen } from "./api.js";
import { type GatewayCommandOptions, gatewayCommand } from "./gateway.js";
import { parseListenAddress } from "./listen.js";

export interface UpOptions extends GatewayCommandOptions {
  /** Where the spool, the embedded ClickHouse and the dead letters live. */
  data: string;
  /** Where the API and UI listen; `false` (--no-api) runs without them. */
  api?: boolean;
  apiListen?: string;
}

export const DEFAULT_GATEWAY_LISTEN = "127.0.0.1:8787";

export async function upCommand(command: string[], options: UpOptions, output: Output): Promise<number> {
  const spool = join(options.data, "spool");
  const storeDir = join(options.data, "clickhouse");
  const gatewayListen = options.listen ?? DEFAULT_GATEWAY_LISTEN;
  const store = await openStore(storeOptionsFromEnv(storeDir));
  const metrics = new IngestMetrics();
  const deadLetters = new JsonlDeadLetters(join(options.data, "dead-letters.jsonl"));
  const ingest = await ingestFromSpool(
    { store, deadLetters, metrics, log: (message) => output.err(message) },
    { spool },
  );
  let api: RunningApi | undefined;
  try {
    const where = "url" in store.target ? store.target.url : store.target.path;
    output.err(`tollgate up: events → spool ${spool} → ingest → ClickHouse ${where}`);
    if (options.api !== false) api = await startUpApi(store, options, gatewayListen, output);
    output.err(hints(options, gatewayListen, api));
    return await gatewayCommand(command, { ...options, spool, listen: gatewayListen }, output);
  } finally {
    await api?.close();
    // The gateway has stopped writing: store what it left in the spool before closing.
    await ingest.stop({ drain: true });
    await store.close();
    output.err(`tollgate up: stopped; ${metrics.eventsStored} events stored this run`);
  }
}

/**
 * The API over this process's store. Readers use TOLLGATE_API_TOKEN, admins the gateway's admin
 * token; the API holds that admin token for the gateway's approvals endpoint, so the gateway
 * records approvals made here under that admin's name.
 */
async function startUpApi(store: Store, options: UpOptions, gatewayListen: string, output: Output) {
  const adminEnv = options.adminTokenEnv ?? ADMIN_TOKEN_ENV;
  const credentials = credentialsFromEnv({ read: READ_TOKEN_ENV, admin: adminEnv });
  const adminToken = process.env[adminEnv];
  const gatewayAddress = parseListenAddress(gatewayListen);
  const apiListen = options.apiListen ?? DEFAULT_API_LISTEN;
  const api = await listen(
    () =>
      startApi({
        store,
        credentials,
        ...parseListenAddress(apiListen),
        gateway: {
          url: `http://${hostForUrl(gatewayAddress.host)}:${gatewayAddress.port}`,
          ...(adminToken ? { token: adminToken } : {}),
        },
        log: (message) => output.err(message),
      }),
    apiListen,
    "--api-listen",
  );
  output.err(`tollgate up: forensics API at ${api.url}/api/v1, web UI at ${api.url}/`);
  if (credentials.length === 0)
    output.err(
      `tollgate up: no API token is set, so the API refuses every request: set ${READ_TOKEN_ENV} (read) and/or ${adminEnv} (admin)`,
    );
  return api;
}

function hostForUrl(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

function hints(options: UpOptions, gatewayListen: string, api: RunningApi | undefined): string {
  const admin = options.adminTokenEnv ?? ADMIN_TOKEN_ENV;
  const { host, port } = parseListenAddress(gatewayListen);
  const mcp = `http://${hostForUrl(host)}:${port}/mcp`;
  const lines: [string, string][] = [
    [`point an MCP client at ${mcp}`, "with `Authorization: Bearer <agent token>`"],
    ["npx tollgate demo traffic", "a realistic day of agent calls into the spool this process ingests"],
  ];
  if (api !== undefined) {
    lines.push(
      [`open ${api.url}/`, `the web UI: sign in with ${READ_TOKEN_ENV} or ${admin}`],
      [`npx tollgate query sessions --api ${api.url}`, `with ${READ_TOKEN_ENV} set (tollgate sql too)`],
      [
        `npx tollgate replay --api ${api.url} --policy examples/policies/k8s-loosened.json --baseline examples/policies/k8s.json --since 1d`,
        "what a candidate policy would change",
      ],
    );
  }
  lines.push(
    ["npx tollgate verify examples/policies/k8s-loosened.json", "prove (or refute) a policy's invariants"],
    [`${admin}=… npx tollgate approvals list`, "calls held by approve rules"],
    [
      `npx tollgate audit verify --store ${join(options.data, "clickhouse")}`,
      "after stopping (the store is this process's)",
    ],
  );
  const width = Math.max(...lines.map(([command]) => command.length));
  return ["next:", ...lines.map(([command, why]) => `  ${command.padEnd(width)}  # ${why}`)].join("\n");
}
