/**
 * End to end: the real `tollgate gateway` process in front of the fixture Kubernetes server (the 57
 * tools of the Multi Cluster Kubernetes MCP Server), over stdio and over HTTP, driven by the SDK's
 * client, with approvals given through the real `tollgate approvals` command. Every call leaves events.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { readJsonl } from "@tollgate/bus";
import { main, type Output } from "@tollgate/cli";
import { verifyChains } from "@tollgate/events";
import { upstreamCommand } from "@tollgate/upstreams";
import { afterEach, describe, expect, test } from "vitest";
import { freePort } from "../support/free-port.js";
import { exited, healthy } from "../support/waiting.js";

const bin = fileURLToPath(new URL("../../cli/bin/tollgate.mjs", import.meta.url));
const policy = fileURLToPath(new URL("../../examples/policies/k8s.json", import.meta.url));
const AGENT_TOKEN = "e2e-agent-token";
const ADMIN_TOKEN = "e2e-admin-token";
process.env.E2E_ADMIN_TOKEN = ADMIN_TOKEN;
process.env.E2E_AGENT_TOKEN = AGENT_TOKEN;

interface Harness {
  client: Client;
  controlUrl: string;
  eventsFile: string;
  stop(): Promise<void>;
}

async function start(kind: "stdio" | "http"): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), `tollgate-e2e-${kind}-`));
  const eventsFile = join(dir, "events.jsonl");
  const port = await freePort();
  const upstream = upstreamCommand("k8s");
  const common = [
    "gateway",
    "--policy",
    policy,
    "--events",
    eventsFile,
    "--agent",
    "claude",
    "--grant",
    "ops",
    "--server-id",
    "k8s",
  ];
  const admin = ["--admin-token-env", "E2E_ADMIN_TOKEN"];
  const after = ["--", upstream.command, ...upstream.args];
  const client = new Client({ name: "e2e", version: "1" });
  if (kind === "stdio") {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [bin, ...common, ...admin, "--control", `127.0.0.1:${port}`, ...after],
      env: { ...process.env } as Record<string, string>,
      stderr: "inherit",
    });
    await client.connect(transport);
    await healthy(port);
    return { client, controlUrl: `http://127.0.0.1:${port}`, eventsFile, stop: () => client.close() };
  }
  const child = spawn(
    process.execPath,
    [
      bin,
      ...common,
      ...admin,
      "--listen",
      `127.0.0.1:${port}`,
      "--agent-token-env",
      "E2E_AGENT_TOKEN",
      ...after,
    ],
    {
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  await healthy(port);
  const transport: Transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${AGENT_TOKEN}` } },
  });
  await client.connect(transport);
  return {
    client,
    controlUrl: `http://127.0.0.1:${port}`,
    eventsFile,
    async stop() {
      await client.close();
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => out.push(t) };
  const code = await main(args, output);
  return { code, out: out.join("") };
}

const text = (result: unknown) => JSON.stringify((result as { content?: unknown }).content);

let running: Harness | undefined;
// A failing test must not leave a gateway (and its upstream) running.
afterEach(async () => {
  await running?.stop().catch(() => undefined);
  running = undefined;
});

describe.each(["stdio", "http"] as const)("tollgate in front of the Kubernetes fixture over %s", (kind) => {
  test("allows, denies, rate-limits, holds for approval, and records it all", async () => {
    const harness = await start(kind);
    running = harness;
    const { client } = harness;
    const call = (name: string, args: Record<string, unknown>) => client.callTool({ name, arguments: args });

    const namespaces = await call("k8s_get_namespaces", { context: "prod-eu" });
    expect(namespaces.isError).toBeFalsy();
    expect(text(namespaces)).toContain("shop");

    const unlisted = await call("k8s_create_ns", { context: "prod-eu", name: "x" });
    expect(unlisted.isError).toBe(true);
    expect(text(unlisted)).toContain("no rule names it and the policy's default is deny [rule: default]");

    const deletion = await call("k8s_delete_ns", { context: "prod-eu", name: "shop" });
    expect(text(deletion)).toContain("agents never delete cluster resources");
    expect(text(await call("k8s_get_namespaces", { context: "prod-eu" }))).toContain("shop");

    const pods = text(
      await call("k8s_get_resources", { context: "prod-eu", kind: "pod", namespace: "shop" }),
    );
    const pod = /(frontend-[a-z0-9]+-[a-z0-9]+)/.exec(pods)?.[1];
    expect(pod).toBeDefined();
    const execs = [];
    for (let i = 0; i < 11; i++)
      execs.push(
        await call("k8s_pod_exec", { context: "prod-eu", namespace: "shop", pod_name: pod, command: "ls" }),
      );
    expect(execs.map((r) => r.isError === true)).toEqual([...Array(10).fill(false), true]);
    expect(text(execs[10]!)).toContain(
      'rate limit \\"k8s_pod_exec_rate\\" allows 10 calls per minute per grant; grant \\"ops\\" has used 10',
    );

    const scaling = call("k8s_scale_resource", {
      context: "prod-eu",
      namespace: "shop",
      resource_type: "deployment",
      name: "frontend",
      replicas: 4,
    });
    let listed = { code: 0, out: "[]" };
    for (let i = 0; i < 100 && !listed.out.includes("k8s_scale_resource"); i++) {
      listed = await cli([
        "approvals",
        "list",
        "--json",
        "--url",
        harness.controlUrl,
        "--token-env",
        "E2E_ADMIN_TOKEN",
      ]);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    const [held] = JSON.parse(listed.out) as { id: string; tool: string; identity: { agent: string } }[];
    expect(held).toMatchObject({ tool: "k8s_scale_resource", identity: { agent: "claude" } });
    const approved = await cli([
      "approvals",
      "approve",
      held!.id,
      "--url",
      harness.controlUrl,
      "--token-env",
      "E2E_ADMIN_TOKEN",
      "--note",
      "e2e",
    ]);
    expect(approved).toEqual({ code: 0, out: `${held!.id}: approved by admin` });
    const scaled = await scaling;
    expect(scaled.isError).toBeFalsy();

    await harness.stop();
    running = undefined;
    const trail = await readJsonl(harness.eventsFile);
    expect(trail.problems).toEqual([]);
    const decisions = trail.events.flatMap((e) =>
      e.type === "call.decided" ? [`${e.payload.call.tool}:${e.payload.decision.outcome}`] : [],
    );
    expect(decisions).toEqual([
      "k8s_get_namespaces:allow",
      "k8s_create_ns:deny",
      "k8s_delete_ns:deny",
      "k8s_get_namespaces:allow",
      "k8s_get_resources:allow",
      ...Array(10).fill("k8s_pod_exec:allow"),
      "k8s_pod_exec:rate_limited",
      "k8s_scale_resource:approval_required",
      "k8s_scale_resource:allow",
    ]);
    const completed = trail.events.filter((e) => e.type === "call.completed");
    expect(completed).toHaveLength(decisions.length - 1); // the held call's two decisions end in one completion
    const resolved = trail.events.find((e) => e.type === "approval.resolved");
    expect(resolved).toMatchObject({ payload: { resolution: "approved", by: "admin", note: "e2e" } });
    for (const event of trail.events.filter((e) => e.type === "call.decided")) {
      expect(event.session).toMatchObject({ agent: "claude", grant: "ops", transport: kind });
    }
    expect(verifyChains(trail.events)).toEqual([]);
  });
});
