import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TollgateEvent } from "@tollgate/events";
import { MemorySink } from "@tollgate/events";
import { compilePolicy } from "@tollgate/policy";
import { afterEach, expect, test } from "vitest";
import { Gateway, serveHttp, sha256Hex } from "../src/index.js";
import {
  AGENT_TOKEN,
  everythingServer,
  filesystemServer,
  httpClient,
  type Running,
  startHttpGateway,
} from "./helpers.js";

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function completedStatuses(sink: MemorySink, count: number): Promise<string[]> {
  for (let i = 0; i < 200; i++) {
    const statuses = sink.events.flatMap((e: TollgateEvent) =>
      e.type === "call.completed" ? [e.payload.status] : [],
    );
    if (statuses.length >= count) return statuses;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("call.completed events did not arrive");
}

test("an agent's cancellation reaches the upstream and the call is recorded as cancelled", async () => {
  running = await startHttpGateway({ version: "1", default: "allow" }, [everythingServer()]);
  const client = await httpClient(running.http.url);
  const abort = new AbortController();
  const call = client.callTool(
    { name: "trigger-long-running-operation", arguments: { duration: 5, steps: 5 } },
    undefined,
    {
      signal: abort.signal,
    },
  );
  setTimeout(() => abort.abort("changed my mind"), 300);
  await expect(call).rejects.toThrow();
  expect(await completedStatuses(running.sink, 1)).toEqual(["cancelled"]);
  // The session still works after a cancellation.
  expect(await client.callTool({ name: "echo", arguments: { message: "still here" } })).toMatchObject({
    content: [{ text: "Echo: still here" }],
  });
  await client.close();
});

test("an upstream that takes too long is cancelled and the agent gets an error, not a hang", async () => {
  const compiled = compilePolicy({ version: "1", default: "allow" });
  if (!compiled.ok) throw new Error("policy");
  const sink = new MemorySink();
  const gateway = new Gateway({
    policy: compiled.policy,
    upstreams: [everythingServer()],
    sink,
    callTimeoutMs: 300,
    log: () => {},
  });
  const http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex(AGENT_TOKEN), agent: "a", grant: "g" }],
    admins: [],
  });
  const client = await httpClient(http.url);
  const error = await client
    .callTool({ name: "trigger-long-running-operation", arguments: { duration: 3, steps: 3 } })
    .catch((e: Error) => e);
  expect(String(error)).toContain('upstream "everything" did not answer tools/call within 300 ms');
  expect(await completedStatuses(sink, 1)).toEqual(["timeout"]);
  await client.close();
  await http.close();
  await gateway.close();
});

test("in front of server-filesystem, a denied write never reaches the disk", async () => {
  const root = await mkdtemp(join(tmpdir(), "tollgate-fs-"));
  await writeFile(join(root, "notes.txt"), "hello from disk");
  const policy = {
    version: "1",
    default: "deny",
    tools: {
      read_text_file: {},
      list_directory: {},
      write_file: {
        deny_if: [{ arg: "path", regex: "\\.txt$", reason: "text files are read-only for agents" }],
      },
    },
  };
  running = await startHttpGateway(policy, [filesystemServer(root)]);
  const client = await httpClient(running.http.url);
  const read = await client.callTool({
    name: "read_text_file",
    arguments: { path: join(root, "notes.txt") },
  });
  expect(JSON.stringify(read.content)).toContain("hello from disk");
  const refused = await client.callTool({
    name: "write_file",
    arguments: { path: join(root, "new.txt"), content: "x" },
  });
  expect(refused.isError).toBe(true);
  expect(JSON.stringify(refused.content)).toContain("text files are read-only for agents");
  expect(existsSync(join(root, "new.txt"))).toBe(false);
  const written = await client.callTool({
    name: "write_file",
    arguments: { path: join(root, "data.json"), content: "{}" },
  });
  expect(written.isError).toBeFalsy();
  expect(existsSync(join(root, "data.json"))).toBe(true);
  const moved = await client.callTool({
    name: "move_file",
    arguments: { source: join(root, "notes.txt"), destination: join(root, "gone.txt") },
  });
  expect(moved.isError).toBe(true);
  expect(existsSync(join(root, "notes.txt"))).toBe(true);
  await client.close();
});

test("secrets in arguments are redacted before events leave the gateway; the hash still proves what was sent", async () => {
  running = await startHttpGateway({ version: "1", default: "allow" }, [everythingServer()]);
  const client = await httpClient(running.http.url);
  const message = "deploy with password=hunter2 and Authorization: Bearer abc.def.ghi";
  await client.callTool({ name: "echo", arguments: { message, api_key: "sk-live-123" } });
  await running.gateway.core.recorder.flush();
  const decided = running.sink.events.find((e) => e.type === "call.decided");
  if (decided?.type !== "call.decided") throw new Error("no call.decided event");
  expect(decided.payload.call.arguments).toEqual({
    message: "deploy with password=[REDACTED] and Authorization: [REDACTED]",
    api_key: "[REDACTED]",
  });
  expect(decided.payload.call.redacted.sort()).toEqual(["api_key", "message"]);
  expect(JSON.stringify(running.sink.events)).not.toContain("hunter2");
  expect(JSON.stringify(running.sink.events)).not.toContain("sk-live-123");
  expect(decided.payload.call.argumentsHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  await client.close();
});
