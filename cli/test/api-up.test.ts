/**
 * `tollgate up` with its forensics API: one real process — gateway, spool, ingest, embedded
 * ClickHouse, API and UI. An agent's calls (allowed, denied, held) show up through the API; a held
 * call is approved through the API and the gateway records who; `tollgate query --api` reads it.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, test } from "vitest";
import { k8sUpstreamArgs, type RunningUp, startUp } from "../../test/support/tollgate-up.js";
import { until } from "../../test/support/waiting.js";
import { ExitCode, main } from "../src/index.js";

const policy = fileURLToPath(new URL("../../examples/policies/k8s.json", import.meta.url));
const tokens = {
  UP_AGENT: "up-agent-token",
  UP_ADMIN: "up-admin-token",
  TOLLGATE_API_TOKEN: "up-read-token",
};

let up: RunningUp;
let api: string;
let mcp: string;

beforeAll(async () => {
  up = await startUp({
    data: await mkdtemp(join(tmpdir(), "tollgate-up-api-")),
    args: [
      "--policy",
      policy,
      "--agent-token-env",
      "UP_AGENT",
      "--agent",
      "claude",
      "--grant",
      "ops",
      "--admin-token-env",
      "UP_ADMIN",
      ...k8sUpstreamArgs(),
    ],
    env: tokens,
  });
  api = up.apiUrl;
  mcp = up.mcpUrl;
});

afterAll(async () => {
  if (up === undefined) return;
  expect(await up.stop()).toBe(0);
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
/** The parts of the API's answers this test reads. */
interface Answer {
  approvals?: { id: string; tool: string }[];
  calls?: unknown[];
  sessions?: { session: string }[];
  events?: { type: string; by?: string }[];
  rows?: unknown[];
}

async function getJson(path: string, token = tokens.TOLLGATE_API_TOKEN) {
  const response = await fetch(`${api}/api/v1${path}`, { headers: as(token) });
  return { status: response.status, body: (await response.json()) as Answer };
}

test("calls through the gateway are queryable through the API; a held call is approved there", async () => {
  expect(up.log()).toContain(`tollgate up: forensics API at ${api}/api/v1, web UI at ${api}/`);
  expect(up.log()).toContain(`point an MCP client at ${mcp}`);
  expect(up.log()).toContain(
    `npx tollgate replay --api ${api} --policy examples/policies/k8s-loosened.json --baseline examples/policies/k8s.json --since 1d`,
  );

  const client = new Client({ name: "up-api-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcp), { requestInit: { headers: as(tokens.UP_AGENT) } }),
  );
  for (let i = 0; i < 3; i++)
    await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "staging" } });
  const denied = await client.callTool({
    name: "k8s_delete_ns",
    arguments: { context: "staging", name: "shop" },
  });
  expect(denied.isError).toBe(true);

  const held = client.callTool({
    name: "k8s_scale_resource",
    arguments: {
      context: "staging",
      resource_type: "deployment",
      namespace: "shop",
      name: "web",
      replicas: 2,
    },
  });
  // A read token lists held calls: the API holds the admin token for the gateway's control API.
  let pending: { id: string; tool: string } | undefined;
  await until(async () => {
    const { body } = await getJson("/approvals");
    pending = body.approvals?.[0];
    return pending !== undefined;
  }, "the held call in GET /approvals");
  expect(pending?.tool).toBe("k8s_scale_resource");
  const refused = await fetch(`${api}/api/v1/approvals/${pending!.id}/approve`, {
    method: "POST",
    headers: as(tokens.TOLLGATE_API_TOKEN),
  });
  expect(refused.status).toBe(403);
  const approved = await fetch(`${api}/api/v1/approvals/${pending!.id}/approve`, {
    method: "POST",
    headers: { ...as(tokens.UP_ADMIN), "content-type": "application/json" },
    body: JSON.stringify({ note: "from the API" }),
  });
  expect(await approved.json()).toEqual({ id: pending!.id, resolution: "approved", by: "admin" });
  // It ran: whatever the simulated cluster answered, tollgate did not refuse it.
  expect(JSON.stringify((await held).content)).not.toMatch(/tollgate (denied|rate-limited) this call/);
  await client.close();

  // Events travel gateway → spool → ingest → ClickHouse; the API reads them as they land.
  await until(
    async () => (await getJson("/calls?agent=claude")).body.calls?.length === 6,
    "six decisions in the store",
  );
  const { body: sessions } = await getJson("/sessions?agent=claude");
  expect(sessions.sessions).toEqual([
    expect.objectContaining({
      agent: "claude",
      grant: "ops",
      calls: 5,
      denials: 1,
      rateLimited: 0,
      approvalsRequested: 1,
    }),
  ]);
  const session = sessions.sessions![0]!.session;
  await until(
    async () =>
      (await getJson(`/sessions/${session}/timeline`)).body.events?.some(
        (e) => e.type === "approval.resolved" && e.by === "admin",
      ) === true,
    "approval.resolved by admin in the timeline",
  );
  const { body: rollup } = await getJson("/rollups/tools?agent=claude");
  expect(rollup.rows).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ tool: "k8s_get_namespaces", calls: 3, allowed: 3 }),
      expect.objectContaining({ tool: "k8s_delete_ns", calls: 1, denials: 1 }),
      expect.objectContaining({ tool: "k8s_scale_resource", calls: 1, allowed: 1, approvalsRequested: 1 }),
    ]),
  );

  // The command line goes through the same API while up holds the store.
  const out: string[] = [];
  process.env.TOLLGATE_API_TOKEN = tokens.TOLLGATE_API_TOKEN;
  try {
    const code = await main(["query", "rollup-agents", "--api", api, "--json"], {
      out: (t) => out.push(t),
      err: () => {},
    });
    expect(code).toBe(ExitCode.ok);
  } finally {
    delete process.env.TOLLGATE_API_TOKEN;
  }
  expect(JSON.parse(out.join("")).rows).toEqual([
    expect.objectContaining({ agent: "claude", calls: 5, denials: 1 }),
  ]);
});

test("tollgate replay --api replays a candidate next to the store that up holds", async () => {
  const loosened = fileURLToPath(new URL("../../examples/policies/k8s-loosened.json", import.meta.url));
  const out: string[] = [];
  const err: string[] = [];
  process.env.UP_ADMIN = tokens.UP_ADMIN;
  const code = await main(
    [
      "replay",
      "--api",
      api,
      "--token-env",
      "UP_ADMIN",
      "--policy",
      loosened,
      "--baseline",
      policy,
      "--since",
      "1h",
      "--format",
      "json",
    ],
    { out: (t) => out.push(t), err: (t) => err.push(t) },
  );
  expect(err).toEqual([]);
  expect(code).toBe(ExitCode.ok);
  const report = JSON.parse(out.join("")) as {
    id: string;
    selfCheck: { checked: number; mismatches: number };
    coverage: { calls: number; approvals: number };
    summary: { changed: number };
  };
  // The first test's five calls (and the approved call's re-decision), reproduced by the live policy;
  // the loosened pod-exec limit changes none of them.
  expect(report.coverage).toMatchObject({ calls: 5, approvals: 1 });
  expect(report.selfCheck).toEqual({ checked: 6, mismatches: 0, examples: [] });
  expect(report.summary.changed).toBe(0);
  const { body } = await getJson("/replays");
  expect(JSON.stringify(body)).toContain(report.id);
});

test("the web UI is served at / without a token; the API is not", async () => {
  const page = await fetch(`${api}/`);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toMatch(/^text\/html/);
  expect((await fetch(`${api}/api/v1/sessions`)).status).toBe(401);
});
