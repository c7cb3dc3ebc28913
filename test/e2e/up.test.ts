/**
 * `tollgate up`, the embedded default all at once: gateway over HTTP → spool → ingest → embedded
 * ClickHouse, one real process in front of the Kubernetes fixture. After it stops, the store holds
 * every event of every call, and the audit finds the chain intact.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { main } from "@tollgate/cli";
import { expect, test } from "vitest";
import { k8sUpstreamArgs, startUp } from "../support/tollgate-up.js";

const policy = fileURLToPath(new URL("../../examples/policies/k8s.json", import.meta.url));

test("tollgate up: every call's events end in the embedded ClickHouse, chain intact", async () => {
  const data = await mkdtemp(join(tmpdir(), "tollgate-up-"));
  const up = await startUp({
    data,
    args: [
      "--policy",
      policy,
      "--agent-token-env",
      "UP_TOKEN",
      "--agent",
      "claude",
      "--grant",
      "ops",
      ...k8sUpstreamArgs(),
    ],
    env: { UP_TOKEN: "up-token" },
  });
  const client = new Client({ name: "up", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(up.mcpUrl), {
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
  expect(await up.stop()).toBe(0);

  const out: string[] = [];
  const code = await main(["audit", "verify", "--store", join(data, "clickhouse"), "--json"], {
    out: (t) => out.push(t),
    err: () => {},
  });
  const report = JSON.parse(out.join(""));
  expect(code).toBe(0);
  expect(report.instances).toEqual([expect.objectContaining({ events: 1 + 21 * 2, problems: [] })]);
});
