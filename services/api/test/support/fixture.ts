/**
 * A known investigation: two gateway instances, two agents, three sessions whose every count the
 * tests state exactly, plus one long session for paging. The store is the real embedded
 * ClickHouse in a temp directory (one per test file: chDB allows one path per process).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TollgateEvent } from "@tollgate/events";
import { openStore, type Store } from "@tollgate/store";
import type { FastifyInstance } from "fastify";
import {
  DAY,
  HOUR,
  limitCounter,
  MINUTE,
  recentHour,
  TestGateway,
  uniqueName,
} from "../../../../test/support/recorded-events.js";
import { type ApiOptions, createApi, sha256Hex } from "../../src/index.js";

export const READ_TOKEN = "read-token-for-tests";
export const ADMIN_TOKEN = "admin-token-for-tests";

export const read = { authorization: `Bearer ${READ_TOKEN}` };
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

export const CREDENTIALS: ApiOptions["credentials"] = [
  { role: "read", name: "investigator", tokenSha256: sha256Hex(READ_TOKEN) },
  { role: "admin", name: "lead", tokenSha256: sha256Hex(ADMIN_TOKEN) },
];

export function dataset() {
  const t0 = recentHour(5);
  const east = new TestGateway(uniqueName("gw-east"));
  const west = new TestGateway(uniqueName("gw-west"));
  const alice = uniqueName("alice");
  const bob = uniqueName("bob");
  const pager = uniqueName("pager");
  const [a1, a2] = [east.session(alice, "ops"), east.session(alice, "ops")];
  const b1 = west.session(bob, "dev");
  const p1 = east.session(pager, "batch");
  const execLimit = "tools.k8s_pod_exec.limits[0]";
  const events: TollgateEvent[] = [
    east.policyLoaded(t0 - MINUTE),
    west.policyLoaded(t0 - MINUTE),
    // alice, session 1
    ...east.call(a1, { tool: "k8s_get_pods", at: t0 }),
    ...east.call(a1, {
      tool: "k8s_pod_exec",
      arguments: { pod: "web-1", command: "ls /tmp" },
      at: t0 + MINUTE,
    }),
    ...east.call(a1, {
      tool: "kube_executor",
      server: "ocm",
      arguments: { command: "kubectl delete pod web-1", context: "prod" },
      outcome: "deny",
      rule: "tools.kube_executor.deny_if[0]",
      reason: "kubectl delete is not allowed through agents",
      at: t0 + 2 * MINUTE,
    }),
    ...east.call(a1, {
      tool: "k8s_pod_exec",
      arguments: { pod: "web-1", command: "cat /etc/hosts" },
      outcome: "rate_limited",
      rule: execLimit,
      counters: [
        limitCounter("all_calls", "all_tools.limits[0]", "session", a1.id, 50),
        limitCounter("k8s_pod_exec_rate", execLimit, "grant", "ops", 10),
      ],
      at: t0 + 3 * MINUTE,
    }),
    ...east.heldCall(a1, {
      tool: "k8s_scale_resource",
      arguments: { deployment: "web", replicas: 5 },
      resolution: "approved",
      by: "carol",
      at: t0 + HOUR,
    }),
    // alice, session 2
    ...east.call(a2, {
      tool: "kube_executor",
      server: "ocm",
      arguments: { command: "kubectl get pods -n shop" },
      at: t0 + 2 * HOUR,
    }),
    ...east.call(a2, {
      tool: "k8s_pod_exec",
      arguments: { pod: "db-0", command: "rm -rf /data", token: "s3cr3t-value" },
      outcome: "deny",
      rule: "tools.k8s_pod_exec.deny_if[0]",
      at: t0 + 2 * HOUR + MINUTE,
    }),
    ...east.heldCall(a2, {
      tool: "k8s_scale_resource",
      arguments: { deployment: "db", replicas: 0 },
      resolution: "denied",
      by: "dave",
      note: "not during business hours",
      at: t0 + 2 * HOUR + 2 * MINUTE,
    }),
    // bob, on the other gateway, a day later
    ...west.call(b1, {
      tool: "kube_executor",
      server: "ocm",
      arguments: { command: "kubectl DELETE namespace shop" },
      outcome: "deny",
      rule: "tools.kube_executor.deny_if[0]",
      at: t0 + DAY,
    }),
    ...west.call(b1, { tool: "k8s_get_pods", status: "tool_error", latencyMs: 7.25, at: t0 + DAY + MINUTE }),
    ...west.call(b1, {
      tool: "k8s_pod_exec",
      arguments: { pod: "api-2", command: "date" },
      outcome: "rate_limited",
      rule: execLimit,
      counters: [limitCounter("k8s_pod_exec_rate", execLimit, "grant", "dev", 10)],
      at: t0 + DAY + 2 * MINUTE,
    }),
    ...west.heldCall(b1, {
      tool: "k8s_scale_resource",
      arguments: { deployment: "api", replicas: 3 },
      resolution: "timed_out",
      at: t0 + DAY + 3 * MINUTE,
    }),
  ];
  // The pager's session: many calls, several in the same millisecond, for paging without gaps.
  const paged: TollgateEvent[] = [];
  for (let i = 0; i < 120; i++) {
    paged.push(
      ...east.call(p1, {
        tool: i % 3 === 0 ? "k8s_get_nodes" : "k8s_get_pods",
        arguments: { namespace: `ns-${i}` },
        at: t0 + 3 * DAY + Math.floor(i / 4) * 1000,
      }),
    );
  }
  return { t0, east, west, alice, bob, pager, a1, a2, b1, p1, events, paged, all: [...events, ...paged] };
}

export type Dataset = ReturnType<typeof dataset>;

export interface Fixture {
  data: Dataset;
  store: Store;
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function openFixture(extra: Partial<ApiOptions> = {}): Promise<Fixture> {
  const path = mkdtempSync(join(tmpdir(), "tollgate-api-"));
  const store = await openStore({ path });
  const data = dataset();
  // Out of order and in two batches: the store orders, not the insert.
  await store.insertEvents([...data.paged].reverse());
  await store.insertEvents(data.events);
  const app = await createApi({ store, credentials: CREDENTIALS, log: (m) => console.error(m), ...extra });
  return {
    data,
    store,
    app,
    async close() {
      await app.close();
      await store.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/** GET a path with a token; the parsed body and status. */
export async function get(app: FastifyInstance, url: string, headers: Record<string, string> = read) {
  const response = await app.inject({ method: "GET", url, headers });
  return { status: response.statusCode, body: response.json() };
}

export async function post(
  app: FastifyInstance,
  url: string,
  payload: unknown,
  headers: Record<string, string> = read,
) {
  const response = await app.inject({ method: "POST", url, headers, payload: payload as object });
  return { status: response.statusCode, body: response.json() };
}

export const qs = (params: Record<string, string | number | string[] | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, String(one));
  }
  return search.toString();
};
