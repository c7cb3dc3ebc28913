/**
 * The web UI in headless Chromium against the real thing: `tollgate up` (gateway in front of the
 * Kubernetes fixture, spool, ingest, embedded ClickHouse, API and UI) as a process, a few hours of
 * `tollgate demo traffic`, and real MCP clients. An investigator signs in from the link `tollgate up`
 * prints, reads the overview, finds the session an agent got rate-limited in, reads every call of
 * it, opens an event, searches the arguments, approves a held call while its client waits, and
 * reads a replay report.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { main } from "@tollgate/cli";
import { upstreamCommand } from "@tollgate/upstreams";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openBrowser, type TestBrowser } from "../support/browser.js";
import { type RunningUp, startUp } from "../support/tollgate-up.js";
import { until } from "../support/waiting.js";

const policy = fileURLToPath(new URL("../../examples/policies/k8s.json", import.meta.url));
const loosened = fileURLToPath(new URL("../../examples/policies/k8s-loosened.json", import.meta.url));
const AGENT_TOKEN = "ui-agent-token";
const ADMIN_TOKEN = "ui-admin-token";
const EXEC_COMMAND = "cat /etc/os-release";

/**
 * `tollgate up` as `npm start` runs it, in a temp data directory: the demo gateway's shape with a
 * named admin, so the approval it records says who approved.
 */
async function startStack(data: string): Promise<RunningUp> {
  const upstream = upstreamCommand("k8s");
  const config = join(data, "gateway.json");
  await writeFile(
    config,
    JSON.stringify({
      policy,
      instance: "ui-e2e",
      upstreams: [{ id: "k8s", command: upstream.command, args: upstream.args }],
      agents: [{ agent: "sre-bot", grant: "ops", token_env: "UI_AGENT_TOKEN" }],
      admins: [{ name: "maria.santos", token_env: "TOLLGATE_ADMIN_TOKEN" }],
      approvals: { progress_interval_ms: 1000 },
    }),
  );
  return startUp({
    data,
    args: ["--config", config],
    env: { UI_AGENT_TOKEN: AGENT_TOKEN, TOLLGATE_ADMIN_TOKEN: ADMIN_TOKEN },
  });
}

async function stopStack(running: RunningUp | undefined): Promise<void> {
  if (running === undefined) return;
  const code = await running.stop();
  if (code !== 0) process.stderr.write(running.log());
  expect(code).toBe(0);
}

let stack: RunningUp;
let browser: TestBrowser;
let page: Page;
/** The session whose k8s_pod_exec calls went past the grant's 10 a minute. */
let limitedSession: string;

async function agent(): Promise<{ client: Client; session: string }> {
  const transport = new StreamableHTTPClientTransport(new URL(stack.mcpUrl), {
    requestInit: { headers: { authorization: `Bearer ${AGENT_TOKEN}` } },
  });
  const client = new Client({ name: "ui-e2e-agent", version: "1" });
  await client.connect(transport);
  return { client, session: transport.sessionId! };
}

/** What the API has stored of a session (read as the UI reads it). */
async function timeline(session: string): Promise<{ type: string; by?: string; status?: string }[]> {
  const response = await fetch(`${stack.apiUrl}/api/v1/sessions/${session}/timeline?limit=5000`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  if (response.status === 404) return [];
  return ((await response.json()) as { events: { type: string }[] }).events;
}

/** With TOLLGATE_UI_SCREENSHOTS=DIR, each step leaves a full-page screenshot there, to look at the UI. */
async function snapshot(name: string): Promise<void> {
  const directory = process.env.TOLLGATE_UI_SCREENSHOTS;
  if (directory !== undefined)
    await page.screenshot({ path: join(directory, `${name}.png`), fullPage: true });
}

/** One attribute of every element a locator finds, in order. */
async function attributes(list: Locator, name: string): Promise<(string | null)[]> {
  const count = await list.count();
  return Promise.all(Array.from({ length: count }, (_, i) => list.nth(i).getAttribute(name)));
}

beforeAll(async () => {
  // First: without Chromium there is nothing to test, and the error says what to install.
  browser = await openBrowser();
  page = browser.page;
  const data = await mkdtemp(join(tmpdir(), "tollgate-ui-"));
  const wrote = await main(["demo", "traffic", "--data", data, "--hours", "6", "--seed", "5"], {
    out: () => {},
    err: (text) => process.stderr.write(text),
  });
  expect(wrote).toBe(0);
  stack = await startStack(data);

  // An exec loop through the real gateway: the grant may exec 10 times a minute, this is 12.
  const { client, session } = await agent();
  for (let i = 0; i < 12; i++) {
    await client.callTool({
      name: "k8s_pod_exec",
      arguments: {
        context: "prod-eu",
        namespace: "payments",
        pod_name: "payments-api-xr2bgm29s8-hbqwg",
        command: EXEC_COMMAND,
      },
    });
  }
  await client.close();
  limitedSession = session;
  await until(async () => (await timeline(session)).length >= 24, "the exec loop's events in the store");
});

afterAll(async () => {
  await browser?.close();
  await stopStack(stack);
});

describe("the web UI", () => {
  test("signs in from the #token= link, then takes the token out of the address bar", async () => {
    await page.goto(`${stack.apiUrl}/#token=${ADMIN_TOKEN}`);
    await page.getByTestId("overview-calls").waitFor();
    expect(page.url()).toBe(`${stack.apiUrl}/#/`);
    expect(await page.evaluate('sessionStorage.getItem("tollgate.token")')).toBe(ADMIN_TOKEN);
  });

  test("the overview shows calls, denials and rate-limit hits over time", async () => {
    const figure = async (testid: string) =>
      Number((await page.getByTestId(testid).textContent())?.replace(/,/g, ""));
    expect(await figure("overview-calls")).toBeGreaterThan(50);
    expect(await figure("overview-denials")).toBeGreaterThan(0);
    expect(await figure("overview-rate-limited")).toBeGreaterThanOrEqual(2);
    for (const chart of ["chart-calls", "chart-denials", "chart-rate-limited"])
      expect(await page.getByTestId(chart).locator("rect.bar").count()).toBeGreaterThan(0);
    await expect
      .poll(() => page.getByTestId("rollup-rate-limits").textContent())
      .toContain("tools.k8s_pod_exec.limits[0]");
    await snapshot("overview");
  });

  test("finds the rate-limited session and shows every call with its decision and reason", async () => {
    await page.getByTestId("nav-sessions").click();
    const row = page.locator(`[data-testid=session-row][data-session="${limitedSession}"]`);
    await expect.poll(() => row.getAttribute("data-rate-limited")).toBe("2");
    await snapshot("sessions");
    await row.getByTestId("session-link").click();
    await page.getByTestId("timeline").waitFor();
    expect(await page.getByTestId("session-id").textContent()).toBe(limitedSession);

    const calls = page.getByTestId("timeline-call");
    await expect.poll(() => calls.count()).toBe(12);
    expect(await page.getByTestId("session-allowed").textContent()).toBe("10 allowed");
    expect(await page.getByTestId("session-rate-limited").textContent()).toBe("2 rate-limited");
    const outcomes = await attributes(calls, "data-outcome");
    expect(outcomes).toEqual([...Array(10).fill("allow"), "rate_limited", "rate_limited"]);
    const limited = calls.nth(11);
    expect(await limited.getByTestId("call-tool").textContent()).toBe("k8s_pod_exec");
    expect(await limited.getByTestId("decision-rule").textContent()).toBe("tools.k8s_pod_exec.limits[0]");
    expect(await limited.getByTestId("decision-reason").textContent()).toMatch(/k8s_pod_exec_rate/);
    expect(await limited.getByTestId("decision-counters").textContent()).toContain("k8s_pod_exec_rate 10/10");
    expect(await limited.getByTestId("call-status").textContent()).toBe("denied");
    expect(await calls.nth(0).getByTestId("call-status").textContent()).toBe("ok");
    expect(await calls.nth(0).getByTestId("decision-reason").textContent()).toContain("is allowed by");
    await snapshot("timeline");
  });

  test("opens an event with its JSON and its place in the hash chain", async () => {
    const limited = page.getByTestId("timeline-call").nth(11);
    await limited.getByTestId("event-link").first().click();
    await page.getByTestId("event-json").waitFor();
    const event = JSON.parse((await page.getByTestId("event-json").textContent()) ?? "");
    expect(event).toMatchObject({
      type: "call.decided",
      session: { id: limitedSession, agent: "sre-bot" },
      payload: { decision: { outcome: "rate_limited" } },
    });
    expect(await page.getByTestId("chain-verdict").textContent()).toMatch(/^intact/);
    await snapshot("event");
    expect(await page.getByTestId("chain-seq").textContent()).toBe(`seq ${event.chain.seq}`);
    await page.getByTestId("chain-previous").click();
    await expect.poll(() => page.getByTestId("chain-seq").textContent()).toBe(`seq ${event.chain.seq - 1}`);
  });

  test("searches the arguments, by text and by JSON path", async () => {
    await page.getByTestId("nav-search").click();
    await page.getByTestId("search-q").fill("etc/os-release");
    await page.getByTestId("search-submit").click();
    const rows = page.getByTestId("result-row");
    await expect.poll(() => rows.count()).toBe(12);
    expect(new Set(await attributes(rows, "data-tool"))).toEqual(new Set(["k8s_pod_exec"]));

    await page.goto(`${stack.apiUrl}/#/search?path=command&contains=os-release&decision=rate_limited`);
    await expect.poll(() => rows.count()).toBe(2);
    await snapshot("search");
    await rows.first().getByTestId("result-session").click();
    await expect.poll(() => page.getByTestId("session-id").textContent()).toBe(limitedSession);
  });

  test("approves a held call from the approvals page while the agent's call waits", async () => {
    const { client, session } = await agent();
    const scaled = client.callTool({
      name: "k8s_scale_resource",
      arguments: {
        context: "staging",
        namespace: "shop",
        resource_type: "deployment",
        name: "frontend",
        replicas: 3,
      },
    });
    await page.getByTestId("nav-approvals").click();
    const card = page.locator("[data-testid=approval][data-tool=k8s_scale_resource]");
    await card.waitFor();
    expect(await card.getByTestId("approval-tool").textContent()).toBe("k8s_scale_resource");
    await card.getByTestId("approval-note").fill("load test on staging");
    await snapshot("approvals");
    await card.getByTestId("approve").click();
    await expect
      .poll(() => card.getByTestId("approval-outcome").textContent())
      .toBe("approved by maria.santos");

    const result = await scaled;
    expect(result.isError).not.toBe(true);
    await client.close();
    await until(
      async () => (await timeline(session)).some((e) => e.type === "call.completed" && e.status === "ok"),
      "the approved call's completion in the store",
    );
    const events = await timeline(session);
    expect(events.find((e) => e.type === "approval.resolved")).toMatchObject({
      resolution: "approved",
      by: "maria.santos",
      note: "load test on staging",
    });

    await page.goto(`${stack.apiUrl}/#/sessions/${session}`);
    await expect
      .poll(() => page.getByTestId("approval-resolution").textContent())
      .toBe("approved by maria.santos — “load test on staging”");
    await snapshot("approved");
    const call = page.getByTestId("timeline-call").first();
    expect(await call.getAttribute("data-outcome")).toBe("allow");
    expect(await call.getByTestId("decision").allTextContents()).toEqual(["held for approval", "allowed"]);
  });

  test("shows what agents chose as text, never as markup", async () => {
    const markup = "<img src=x onerror=window.__injected=1><b>bold</b>";
    const { client, session } = await agent();
    await client.callTool({ name: "k8s_get_namespaces", arguments: { context: markup } });
    await client.close();
    await until(async () => (await timeline(session)).length >= 2, "the call's events in the store");
    await page.goto(`${stack.apiUrl}/#/sessions/${session}`);
    const call = page.getByTestId("timeline-call").first();
    await call.locator("summary").first().click();
    expect(await call.getByTestId("call-arguments").textContent()).toContain(markup);
    await page.goto(`${stack.apiUrl}/#/search?q=${encodeURIComponent("onerror")}`);
    await expect.poll(() => page.getByTestId("result-row").count()).toBe(1);
    expect(await page.locator("main img, main b").count()).toBe(0);
    expect(await page.evaluate("window.__injected")).toBeUndefined();
  });

  test("lists replay reports and shows one, the report's own HTML in a sandboxed frame", async () => {
    const policyText = async (file: string) => ({ file, text: await readFile(file, "utf8") });
    const response = await fetch(`${stack.apiUrl}/api/v1/replays`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        candidate: await policyText(loosened),
        baselines: [await policyText(policy)],
        from: Date.now() - 7 * 3_600_000,
        to: Date.now(),
      }),
    });
    expect(response.status).toBe(200);
    const { summary } = (await response.json()) as { summary: { id: string; verdict: string } };

    await page.getByTestId("nav-replays").click();
    const row = page.locator(`[data-testid=replay-row][data-id="${summary.id}"]`);
    expect(await row.getAttribute("data-verdict")).toBe(summary.verdict);
    await row.getByTestId("replay-link").click();
    const frame = page.getByTestId("replay-frame");
    expect(await frame.getAttribute("sandbox")).toBe("");
    await expect
      .poll(() => page.frameLocator("[data-testid=replay-frame]").locator("body").textContent())
      .toContain("k8s-production-loosened");
    expect(await page.getByTestId("replay-summary").textContent()).toContain(summary.verdict);
    await snapshot("replay");
  });

  test("needed nothing from outside 127.0.0.1 and threw no script errors", () => {
    expect(browser.external).toEqual([]);
    expect(browser.errors).toEqual([]);
  });
});
