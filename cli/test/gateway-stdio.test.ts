/**
 * The real `tollgate gateway` bin over stdio, as a client's mcpServers entry would run it, in front
 * of the real server-everything, driven by the SDK's client.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { readJsonl } from "@tollgate/bus";
import { verifyChains } from "@tollgate/events";
import { expect, test } from "vitest";

const require = createRequire(import.meta.url);
const bin = fileURLToPath(new URL("../bin/tollgate.mjs", import.meta.url));
const everything = require.resolve("@modelcontextprotocol/server-everything/dist/index.js");

const allowEcho = {
  version: "1",
  default: "deny",
  tools: { echo: {}, "get-env": { action: "deny", reason: "no env" } },
};
const denyEcho = {
  version: "1",
  default: "deny",
  tools: { echo: { action: "deny", reason: "echo is off now" } },
};

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a stdio gateway enforces, hot-reloads, rejects a broken policy and records a verifiable trail", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-stdio-"));
  const policy = join(dir, "policy.json");
  const events = join(dir, "events.jsonl");
  await writeFile(policy, JSON.stringify(allowEcho));
  const stderr: string[] = [];
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [
      bin,
      "gateway",
      "--policy",
      policy,
      "--events",
      events,
      "--agent",
      "claude",
      "--grant",
      "ops",
      "--server-id",
      "everything",
      "--",
      process.execPath,
      everything,
    ],
    stderr: "pipe",
  });
  transport.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: "stdio-test", version: "1" });
  await client.connect(transport);

  expect((await client.listTools()).tools.map((t) => t.name)).toContain("echo");
  expect(await client.callTool({ name: "echo", arguments: { message: "one" } })).toMatchObject({
    content: [{ type: "text", text: "Echo: one" }],
  });
  const denied = await client.callTool({ name: "get-env", arguments: {} });
  expect(denied).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("no env") }] });

  await writeFile(policy, JSON.stringify(denyEcho));
  const reloaded = await eventually(async () => {
    const result = await client.callTool({ name: "echo", arguments: { message: "two" } });
    return result.isError ? result : undefined;
  }, "the new policy to apply");
  expect(JSON.stringify(reloaded.content)).toContain("echo is off now");

  await writeFile(policy, '{"version": "1", "tools": {"echo": {"limit": 3}}}');
  await eventually(
    async () => (stderr.join("").includes("policy change rejected") ? true : undefined),
    "the rejection",
  );
  const stillDenied = await client.callTool({ name: "echo", arguments: { message: "three" } });
  expect(JSON.stringify(stillDenied.content)).toContain("echo is off now");

  await client.close();
  const trail = await eventually(async () => {
    const contents = await readJsonl(events).catch(() => undefined);
    return contents?.events.some((e) => e.type === "policy.rejected") ? contents : undefined;
  }, "the events file");
  expect(trail.problems).toEqual([]);
  const types = trail.events.map((e) => e.type);
  expect(types.filter((t) => t === "policy.loaded")).toHaveLength(2);
  expect(types.filter((t) => t === "policy.rejected")).toHaveLength(1);
  const decisions = trail.events.flatMap((e) =>
    e.type === "call.decided" ? [[e.payload.call.tool, e.payload.decision.outcome]] : [],
  );
  expect(decisions[0]).toEqual(["echo", "allow"]);
  expect(decisions[1]).toEqual(["get-env", "deny"]);
  expect(decisions.at(-1)).toEqual(["echo", "deny"]);
  for (const event of trail.events.filter((e) => e.type === "call.decided")) {
    expect(event.session).toMatchObject({ agent: "claude", grant: "ops", transport: "stdio" });
  }
  expect(verifyChains(trail.events)).toEqual([]);
});

test("the gateway refuses to start on an invalid policy, saying why", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-stdio-"));
  const policy = join(dir, "policy.json");
  await writeFile(policy, '{"version": "1", "default": "maybe"}');
  const { execFile } = await import("node:child_process");
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [bin, "gateway", "--policy", policy, "--", process.execPath, everything],
      (error, _stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number), stderr }),
    );
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("the gateway does not start on an invalid policy");
  expect(result.stderr).toContain(`${policy}:1:29 at default: expected one of "deny", "allow"`);
});
