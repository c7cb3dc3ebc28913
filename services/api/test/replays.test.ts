/**
 * Replays through the API, over traffic a real gateway recorded under examples/policies/k8s.json:
 * the loosened candidate (pod-exec limit 10 → 20 a minute) lets through the two calls that were
 * rate-limited; the report is judged, saved, listed, and rendered as HTML.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { EventSink } from "@tollgate/events";
import { Gateway, serveHttp, sha256Hex } from "@tollgate/gateway";
import { loadPolicyFile } from "@tollgate/policy";
import { upstreamCommand } from "@tollgate/upstreams";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { admin, type Fixture, get, openFixture, post } from "./support/fixture.js";

const policyFile = (name: string) =>
  fileURLToPath(new URL(`../../../examples/policies/${name}`, import.meta.url));
const live = { file: "k8s.json", text: "" };
const candidate = { file: "k8s-loosened.json", text: "" };

let fx: Fixture;
let window: { from: number; to: number };

beforeAll(async () => {
  live.text = await readFile(policyFile("k8s.json"), "utf8");
  candidate.text = await readFile(policyFile("k8s-loosened.json"), "utf8");
  fx = await openFixture();
  const from = Date.now() - 1000;
  const sink: EventSink = { publish: (event) => fx.store.insertEvents([event]), close: async () => {} };
  const gateway = new Gateway({
    policy: await loadPolicyFile(policyFile("k8s.json")),
    upstreams: [{ id: "k8s", ...upstreamCommand("k8s") }],
    sink,
    log: () => {},
  });
  const http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex("replay-agent"), agent: "claude-replay", grant: "replay-ops" }],
    admins: [],
  });
  const client = new Client({ name: "replay-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(http.url), {
      requestInit: { headers: { authorization: "Bearer replay-agent" } },
    }),
  );
  for (let i = 0; i < 3; i++)
    await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "staging" } });
  for (let i = 0; i < 12; i++)
    await client.callTool({
      name: "k8s_pod_exec",
      arguments: { context: "staging", pod_name: "web-0", command: "date" },
    });
  await client.callTool({ name: "kube_executor", arguments: { command: "kubectl delete pod web-0" } });
  await client.close();
  await gateway.core.recorder.flush();
  await http.close();
  await gateway.close();
  window = { from, to: Date.now() + 1000 };
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

const run = (body: Record<string, unknown>, headers = admin) =>
  post(
    fx.app,
    "/api/v1/replays",
    { candidate, baselines: [live], ...window, filter: { agent: "claude-replay" }, ...body },
    headers,
  );

describe("running a replay", () => {
  let id: string;

  test("judges the candidate, saves the report and returns it", async () => {
    const { status, body } = await run({ failOn: ["newly-allowed>0"] });
    expect(status).toBe(200);
    const { summary, report } = body;
    expect(report.selfCheck).toMatchObject({ mismatches: 0, checked: 16 });
    expect(report.coverage).toMatchObject({ calls: 16, replayed: 16, notReplayable: [], unverified: [] });
    expect(report.summary).toMatchObject({ calls: 16, changed: 2, newlyAllowed: 2, newlyBlocked: 0 });
    expect(report.verdict).toMatchObject({
      result: "fail",
      checks: [expect.objectContaining({ threshold: "newly-allowed>0", count: 2, breached: true })],
    });
    expect(summary).toMatchObject({
      id: report.id,
      candidateName: "k8s-production-loosened",
      verdict: "fail",
      calls: 16,
      changed: 2,
      from: window.from,
      to: window.to,
    });
    id = report.id;
  });

  test("is listed, opened as JSON, and rendered as HTML", async () => {
    const list = await get(fx.app, "/api/v1/replays");
    expect(list.body.reports).toEqual([expect.objectContaining({ id, verdict: "fail", changed: 2 })]);
    const one = await get(fx.app, `/api/v1/replays/${id}`);
    expect(one.body.summary).toMatchObject({ id, candidateName: "k8s-production-loosened" });
    expect(one.body.report).toMatchObject({ id, summary: { newlyAllowed: 2 } });
    const html = await fx.app.inject({ method: "GET", url: `/api/v1/replays/${id}/html`, headers: admin });
    expect(html.statusCode).toBe(200);
    expect(html.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(html.headers["content-security-policy"]).toContain("default-src 'none'");
    expect(html.body).toMatch(/^<!doctype html>/i);
    expect(html.body).toContain("k8s-production-loosened");
  });

  test("without a baseline the self-check cannot vouch: invalid", async () => {
    const { body } = await run({ baselines: [] });
    expect(body.summary.verdict).toBe("invalid");
    expect(body.report.coverage.unverified).toEqual([
      expect.objectContaining({ calls: 16, name: "k8s-production" }),
    ]);
  });

  test("the same policy as candidate changes nothing: pass", async () => {
    const { body } = await run({ candidate: live, failOn: ["changed>0"] });
    expect(body.summary).toMatchObject({ verdict: "pass", changed: 0 });
  });
});

describe("refusals", () => {
  test("a read token may look but not run: 403", async () => {
    const { status } = await run({}, { authorization: "Bearer read-token-for-tests" });
    expect(status).toBe(403);
    expect((await get(fx.app, "/api/v1/replays")).status).toBe(200);
  });

  test.each([
    [
      "an invalid candidate",
      {
        candidate: {
          file: "c.json",
          text: '{"version":"1","tools":{"x":{"limits":[{"window":"fortnight"}]}}}',
        },
      },
      "candidate",
      /the candidate policy is invalid: .*c\.json/,
    ],
    [
      "a baseline that is not JSON",
      { baselines: [{ file: "b.json", text: "{" }] },
      "baselines.0",
      /the baselines\.0 policy is invalid/,
    ],
    [
      "a threshold that is not one",
      { failOn: ["more>lots"] },
      "failOn",
      /failOn "more>lots" is not a threshold/,
    ],
    ["a window backwards", { from: window?.to ?? 2, to: 1 }, "to", /to must be after from/],
    [
      "a time that is not one",
      { from: "soon" },
      "from",
      /from must be epoch milliseconds or an ISO 8601 time/,
    ],
    ["no candidate", { candidate: undefined }, "candidate", /candidate is required/],
    ["an unknown filter", { filter: { rule: "x" } }, "filter.rule", /unknown field "filter.rule"/],
  ])("%s is a 400 naming the field", async (_name, body, field, message) => {
    const { status, body: answer } = await run(body);
    expect(status).toBe(400);
    expect(answer.field).toBe(field);
    expect(answer.message).toMatch(message);
  });

  test("an unknown report is a 404", async () => {
    expect((await get(fx.app, "/api/v1/replays/no-such-report")).status).toBe(404);
    expect((await get(fx.app, "/api/v1/replays/no-such-report/html")).status).toBe(404);
  });
});
