/**
 * `tollgate up`, the embedded default all at once: gateway over HTTP → spool → ingest → embedded
 * ClickHouse, one real process in front of the Kubernetes fixture. After it stops, the store holds
 * every event of every call, and the audit finds the chain intact.
 */
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { main } from "@tollgate/cli";
import { upstreamCommand } from "@tollgate/upstreams";
import { expect, test } from "vitest";
import { freePort } from "../support/free-port.js";
import { exited, healthy } from "../support/waiting.js";

const bin = fileURLToPath(new URL("../../cli/bin/tollgate.mjs", import.meta.url));
const policy = fileURLToPath(new URL("../../examples/policies/k8s.json", import.meta.url));

test("tollgate up: every call's events end in the embedded ClickHouse, chain intact", async () => {
  const data = await mkdtemp(join(tmpdir(), "tollgate-up-"));
  const port = await freePort();
  const upstream = upstreamCommand("k8s");
  const child = spawn(
    process.execPath,
    [
      bin,
      "up",
      "--policy",
      policy,
      "--data",
      data,
      "--listen",
      `127.0.0.1:${port}`,
      // Not the default 8788: a running `npm start` must not make this test fail.
      "--api-listen",
      `127.0.0.1:${await freePort()}`,
      "--agent-token-env",
      "UP_TOKEN",
      "--agent",
      "claude",
      "--grant",
      "ops",
      "--server-id",
      "k8s",
      "--",
      upstream.command,
      ...upstream.args,
    ],
    { env: { ...process.env, UP_TOKEN: "up-token" }, stdio: ["ignore", "ignore", "inherit"] },
  );
  await healthy(port);
  const client = new Client({ name: "up", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      requestInit: { headers: { authorization: "Bearer up-token" } },
    }),
  );
  for (let i = 0; i < 20; i++)
    await client.callTool({ name: "k8s_get_namespaces", arguments: { context: "staging" } });
  const denied = await client.callTool({
    name: "k8s_delete_ns",
    arguments: { context: "staging", name: "shop" },
  });
  expect(denied.isError).toBe(true);
  await client.close();
  child.kill("SIGINT"); // up drains the spool into ClickHouse before it exits
  expect(await exited(child)).toBe(0);

  const out: string[] = [];
  const code = await main(["audit", "verify", "--store", join(data, "clickhouse"), "--json"], {
    out: (t) => out.push(t),
    err: () => {},
  });
  const report = JSON.parse(out.join(""));
  expect(code).toBe(0);
  expect(report.instances).toEqual([expect.objectContaining({ events: 1 + 21 * 2, problems: [] })]);
});
