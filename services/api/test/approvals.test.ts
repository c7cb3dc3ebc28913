/**
 * Approvals through the API, against a real gateway in front of the Kubernetes fixture server: a
 * held call appears in GET /approvals, is approved or denied with POST, the call goes on (or is
 * refused), and the gateway's approval.resolved — with who — lands in the store and the timeline.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { EventSink } from "@tollgate/events";
import { Gateway, type HttpGateway, serveHttp } from "@tollgate/gateway";
import { compilePolicy } from "@tollgate/policy";
import { upstreamCommand } from "@tollgate/upstreams";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createApi, sha256Hex } from "../src/index.js";
import {
  ADMIN_TOKEN,
  admin,
  CREDENTIALS,
  type Fixture,
  get,
  openFixture,
  post,
  read,
} from "./support/fixture.js";

const AGENT_TOKEN = "agent-token-for-approvals";
/** The API's own admin token at the gateway, for the configuration where the API holds one. */
const SERVICE_TOKEN = "api-service-token";

const policy = {
  version: "1",
  default: "deny",
  tools: {
    k8s_get_namespaces: {},
    k8s_scale_resource: { action: "approve", reason: "scaling needs a person", approval: { timeout: "60s" } },
  },
};

let fx: Fixture;
let gateway: Gateway;
let http: HttpGateway;
let client: Client;
/** Passes the caller's token on: the gateway records the caller as `by`. */
let forwarding: FastifyInstance;
/** Holds its own gateway admin token: readers can list, the gateway records the API as `by`. */
let holding: FastifyInstance;

beforeAll(async () => {
  fx = await openFixture();
  const compiled = compilePolicy(policy);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  // Events go straight into the store, as ingest would put them.
  const sink: EventSink = { publish: (event) => fx.store.insertEvents([event]), close: async () => {} };
  gateway = new Gateway({
    policy: compiled.policy,
    upstreams: [{ id: "k8s", ...upstreamCommand("k8s") }],
    sink,
    approvalProgressMs: 200,
    log: () => {},
  });
  http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex(AGENT_TOKEN), agent: "claude-approvals", grant: "ops" }],
    admins: [
      { tokenSha256: sha256Hex(ADMIN_TOKEN), name: "lead" },
      { tokenSha256: sha256Hex(SERVICE_TOKEN), name: "tollgate-api" },
    ],
  });
  client = new Client({ name: "approvals-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(http.url), {
      requestInit: { headers: { authorization: `Bearer ${AGENT_TOKEN}` } },
    }),
  );
  forwarding = await createApi({ store: fx.store, credentials: CREDENTIALS, gateway: { url: http.url } });
  holding = await createApi({
    store: fx.store,
    credentials: CREDENTIALS,
    gateway: { url: http.url.replace(/\/mcp$/, ""), token: SERVICE_TOKEN },
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await forwarding?.close();
  await holding?.close();
  await http?.close();
  await gateway?.close();
  await fx?.close();
});

const scale = (name: string) =>
  client.callTool({
    name: "k8s_scale_resource",
    arguments: { context: "staging", resource_type: "deployment", namespace: "shop", name, replicas: 3 },
  });

/** The held call's approval, once the gateway lists it. */
async function pendingFor(app: FastifyInstance, name: string, headers: Record<string, string>) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { status, body } = await get(app, "/api/v1/approvals", headers);
    expect(status).toBe(200);
    const found = body.approvals.find((a: { arguments: { name?: string } }) => a.arguments.name === name);
    if (found !== undefined) return found;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no approval for ${name} appeared`);
}

async function timelineOf(callId: string) {
  await gateway.core.recorder.flush();
  const { body } = await get(fx.app, "/api/v1/sessions?agent=claude-approvals");
  const { body: timeline } = await get(fx.app, `/api/v1/sessions/${body.sessions[0].session}/timeline`);
  return timeline.events.filter((e: { callId?: string }) => e.callId === callId);
}

describe("passing the caller's token on", () => {
  test("an admin approves a held call; the call runs; the gateway records who", async () => {
    const call = scale("web");
    const pending = await pendingFor(forwarding, "web", admin);
    expect(pending).toMatchObject({
      tool: "k8s_scale_resource",
      server: "k8s",
      identity: { agent: "claude-approvals" },
    });
    const { status, body } = await post(
      forwarding,
      `/api/v1/approvals/${pending.id}/approve`,
      { note: "ok for staging" },
      admin,
    );
    expect(status).toBe(200);
    expect(body).toEqual({ id: pending.id, resolution: "approved", by: "lead" });
    const result = await call;
    expect(JSON.stringify(result.content)).not.toContain("tollgate denied");
    const events = await timelineOf(pending.callId);
    expect(events.map((e: { type: string }) => e.type)).toEqual([
      "call.decided",
      "approval.requested",
      "approval.resolved",
      "call.decided",
      "call.completed",
    ]);
    expect(events[2]).toMatchObject({
      resolution: "approved",
      by: "lead",
      note: "ok for staging",
      approvalId: pending.id,
    });
    expect(events[3]).toMatchObject({ decision: "allow", approval: "granted" });
    const rollup = await get(fx.app, "/api/v1/rollups/approvals?agent=claude-approvals");
    expect(rollup.body.resolved).toEqual([
      expect.objectContaining({ resolution: "approved", by: "lead", count: 1 }),
    ]);
  });

  test("a read token is refused by the API for decisions, and by the gateway for listing", async () => {
    expect((await post(forwarding, "/api/v1/approvals/x/approve", {}, read)).status).toBe(403);
    const listing = await get(forwarding, "/api/v1/approvals", read);
    expect(listing.status).toBe(403);
    expect(listing.body.message).toMatch(/the gateway does not accept this token as an admin token/);
  });
});

describe("holding the API's own gateway token", () => {
  test("a reader lists held calls; an admin denies one; the agent is refused with the note", async () => {
    const call = scale("db");
    const pending = await pendingFor(holding, "db", read);
    const { status, body } = await post(
      holding,
      `/api/v1/approvals/${pending.id}/deny`,
      { note: "not now" },
      admin,
    );
    expect(status).toBe(200);
    expect(body).toEqual({ id: pending.id, resolution: "denied", by: "tollgate-api" });
    const result = await call;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain("tollgate-api denied");
    const events = await timelineOf(pending.callId);
    expect(events.find((e: { type: string }) => e.type === "approval.resolved")).toMatchObject({
      resolution: "denied",
      by: "tollgate-api",
      note: "not now",
    });
    expect(events.at(-1)).toMatchObject({ type: "call.completed", status: "denied" });
  });

  test("an approval that is not waiting is a 404; a bad body a 400 naming the field", async () => {
    const missing = await post(
      holding,
      "/api/v1/approvals/01890000-0000-7000-8000-000000000000/approve",
      {},
      admin,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.message).toMatch(/no call is waiting for approval/);
    const bad = await post(holding, "/api/v1/approvals/x/approve", { note: 7, by: "me" }, admin);
    expect(bad).toMatchObject({ status: 400, body: { field: "by" } });
  });
});

test("a gateway that does not answer is a 502 naming where", async () => {
  const gone = await createApi({
    store: fx.store,
    credentials: CREDENTIALS,
    gateway: { url: "http://127.0.0.1:9" },
  });
  const { status, body } = await get(gone, "/api/v1/approvals", admin);
  expect(status).toBe(502);
  expect(body.message).toMatch(/cannot reach the gateway at http:\/\/127\.0\.0\.1:9/);
  await gone.close();
});
