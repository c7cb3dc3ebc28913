import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, connectStdio, readToolFile, textOf } from "./helpers.js";

describe("OCM fixture server over stdio", () => {
  let client: Client;
  let tools: Tool[];
  const ajv = new Ajv({ strict: false });

  beforeAll(async () => {
    client = await connectStdio("ocm");
    tools = (await client.listTools()).tools;
  });

  afterAll(async () => {
    await client?.close();
  });

  /** The result's structuredContent, checked against the tool's advertised outputSchema. */
  function resultText(tool: string, result: CallToolResult): string {
    const schema = tools.find((candidate) => candidate.name === tool)?.outputSchema;
    expect(schema).toBeDefined();
    const validate = ajv.compile(schema ?? {});
    expect(validate(result.structuredContent), ajv.errorsText(validate.errors)).toBe(true);
    const { result: text } = result.structuredContent as { result: string };
    expect(textOf(result)).toBe(text);
    return text;
  }

  const kubectl = async (command: string, cluster?: string) => {
    const result = await call(client, "kube_executor", cluster ? { command, cluster } : { command });
    return { result, text: resultText("kube_executor", result) };
  };

  test("tools/list is the seed server's list, verbatim, output schemas included", async () => {
    const expected = readToolFile("ocm-mcp-server.tools.json").tools;
    expect(tools.map((tool) => tool.name)).toEqual(expected.map((tool) => tool.name));
    expect(tools.map((tool) => tool.inputSchema)).toEqual(expected.map((tool) => tool.inputSchema));
    expect(tools.map((tool) => tool.outputSchema)).toEqual(expected.map((tool) => tool.outputSchema));
    expect(tools).toEqual(expected);
  });

  test("clusters lists the hub and every managed cluster", async () => {
    const text = resultText("clusters", await call(client, "clusters"));
    for (const name of ["local-cluster", "prod-eu", "prod-us", "staging"]) expect(text).toContain(name);
  });

  test("kubectl get prints a table of the objects the cluster holds", async () => {
    const { text: table } = await kubectl("kubectl get pods -n shop", "prod-eu");
    const { text: json } = await kubectl("kubectl get pods -n shop -o json", "prod-eu");
    const names = (JSON.parse(json) as { items: { metadata: { name: string } }[] }).items.map(
      (pod) => pod.metadata.name,
    );
    expect(names.length).toBeGreaterThan(0);
    expect(table.split("\n")[0]).toMatch(/^NAME\s+READY\s+STATUS/);
    for (const name of names) expect(table).toContain(name);
  });

  test("kubectl scale changes the deployment that later reads return", async () => {
    const { result } = await kubectl("kubectl scale deployment/checkout -n shop --replicas=4", "prod-eu");
    expect(result.isError).toBeFalsy();
    const { text } = await kubectl("kubectl get deploy checkout -n shop -o json", "prod-eu");
    const deployment = JSON.parse(text) as { spec: { replicas: number }; status: { readyReplicas: number } };
    expect(deployment.spec.replicas).toBe(4);
    expect(deployment.status.readyReplicas).toBe(4);
  });

  test("yaml is applied, and kubectl delete removes what it created", async () => {
    const yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-blue\n";
    const applied = await call(client, "kube_executor", { yaml, cluster: "staging" });
    expect(resultText("kube_executor", applied)).toMatch(/namespace\/team-blue created/);
    expect((await kubectl("kubectl get namespaces", "staging")).text).toContain("team-blue");

    expect((await kubectl("kubectl delete namespace team-blue", "staging")).result.isError).toBeFalsy();
    const gone = await kubectl("kubectl get namespace team-blue", "staging");
    expect(gone.result.isError).toBe(true);
    expect(gone.text).toMatch(/NotFound/);
  });

  test("kubectl describe summarises a workload's rollout", async () => {
    const { text } = await kubectl("kubectl describe deployment payments-api -n payments", "prod-eu");
    expect(text).toMatch(/^Name:\s+payments-api/m);
    expect(text).toMatch(/Replicas:/);
  });

  test("only kubectl commands are accepted, and exactly one of command and yaml", async () => {
    const shell = await kubectl("rm -rf /", "staging");
    expect(shell.result.isError).toBe(true);
    expect(shell.text).toMatch(/kubectl/);

    const neither = await call(client, "kube_executor", { cluster: "staging" });
    expect(neither.isError).toBe(true);
    expect(resultText("kube_executor", neither)).toMatch(/command|yaml/);
  });

  test("an unknown cluster is an error naming it", async () => {
    const { result, text } = await kubectl("kubectl get pods", "mars");
    expect(result.isError).toBe(true);
    expect(text).toContain("mars");
  });

  test("connect_cluster grants the requested ClusterRole on the managed cluster", async () => {
    const connected = await call(client, "connect_cluster", { cluster: "prod-us", cluster_role: "view" });
    expect(connected.isError).toBeFalsy();
    expect(resultText("connect_cluster", connected)).toContain("prod-us");
    const { text } = await kubectl("kubectl get clusterrolebindings -o json", "prod-us");
    const bindings = (
      JSON.parse(text) as { items: { roleRef: { name: string }; subjects: { name: string }[] }[] }
    ).items;
    const granted = bindings.find((binding) =>
      binding.subjects.some((subject) => subject.name.includes("mcp")),
    );
    expect(granted?.roleRef.name).toBe("view");
  });

  test("prometheus answers per pod, limited to the namespace the query selects", async () => {
    const ql = 'sum(container_memory_working_set_bytes{namespace="payments"}) by (pod)';
    const text = textOf(await call(client, "prometheus", { ql, cluster: "prod-eu" }));
    const { text: podsText } = await kubectl("kubectl get pods -n payments -o name", "prod-eu");
    const payments = podsText.split("\n").map((line) => line.replace("pod/", ""));
    for (const pod of payments) expect(text).toContain(pod);
    expect(text).not.toMatch(/frontend-/);
  });

  test("invalid arguments are an error result naming the problem", async () => {
    const result = await call(client, "kube_executor", { command: 42 });
    expect(result.isError).toBe(true);
    expect(resultText("kube_executor", result)).toMatch(/command/);

    const missing = await call(client, "prometheus", {});
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/ql/);
  });

  test("an unknown tool is a JSON-RPC invalid-params error", async () => {
    await expect(call(client, "kubectl_anything")).rejects.toMatchObject({ code: -32602 });
  });
});
