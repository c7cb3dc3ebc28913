import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { call, connectStdio, jsonOf, readToolFile, textOf } from "./helpers.js";

interface PodManifest {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { image: string }[] };
  status: { phase: string };
}

interface RolloutStatus {
  paused: boolean;
  replicas: { desired: number; updated: number; ready: number };
}

describe("k8s fixture server over stdio", () => {
  let client: Client;

  beforeAll(async () => {
    client = await connectStdio("k8s");
  });

  afterAll(async () => {
    await client?.close();
  });

  async function pods(context: string, namespace: string, app?: string): Promise<PodManifest[]> {
    const list = jsonOf<{ items: PodManifest[] }>(
      await call(client, "k8s_get_resources", { context, kind: "pods", namespace }),
    );
    return list.items.filter((pod) => app === undefined || pod.metadata.labels?.app === app);
  }

  async function rolloutStatus(context: string, namespace: string, name: string): Promise<RolloutStatus> {
    const args = { context, namespace, resource_type: "deployment", name };
    return jsonOf<RolloutStatus>(await call(client, "k8s_rollout_status", args));
  }

  test("tools/list is the seed server's list, verbatim", async () => {
    const { tools } = await client.listTools();
    const expected = readToolFile("k8s-multicluster-mcp.tools.json").tools;
    expect(tools).toHaveLength(57);
    expect(tools.map((tool) => tool.name)).toEqual(expected.map((tool) => tool.name));
    expect(tools.map((tool) => tool.inputSchema)).toEqual(expected.map((tool) => tool.inputSchema));
    expect(tools).toEqual(expected);
  });

  test("every listed context answers with its namespaces", async () => {
    const contexts = jsonOf<{ name: string }[]>(await call(client, "k8s_get_contexts"));
    expect(contexts.length).toBeGreaterThanOrEqual(3);
    for (const { name } of contexts) {
      const namespaces = jsonOf<string[]>(await call(client, "k8s_get_namespaces", { context: name }));
      expect(namespaces).toEqual(expect.arrayContaining(["default", "kube-system"]));
    }
  });

  test("a created namespace is listed, cannot be created twice, and is gone once deleted", async () => {
    const context = "staging";
    const created = await call(client, "k8s_create_ns", {
      context,
      name: "sandbox",
      labels: { owner: "tests" },
    });
    expect(created.isError).toBeFalsy();
    expect(jsonOf<string[]>(await call(client, "k8s_get_namespaces", { context }))).toContain("sandbox");

    const again = await call(client, "k8s_create_ns", { context, name: "sandbox" });
    expect(again.isError).toBe(true);
    expect(textOf(again)).toMatch(/already exists/);

    expect((await call(client, "k8s_delete_ns", { context, name: "sandbox" })).isError).toBeFalsy();
    expect(jsonOf<string[]>(await call(client, "k8s_get_namespaces", { context }))).not.toContain("sandbox");
  });

  test("a paused rollout shows as paused and holds a new image back until resumed", async () => {
    const target = { context: "prod-eu", namespace: "shop", resource_type: "deployment", name: "frontend" };
    expect((await call(client, "k8s_rollout_pause", target)).isError).toBeFalsy();
    expect((await rolloutStatus("prod-eu", "shop", "frontend")).paused).toBe(true);

    const image = "registry.example.com/shop/frontend:9.9.9";
    const patch = { spec: { template: { spec: { containers: [{ name: "frontend", image }] } } } };
    const patched = await call(client, "k8s_patch_resource", { ...target, patch });
    expect(patched.isError).toBeFalsy();
    const held = await rolloutStatus("prod-eu", "shop", "frontend");
    expect(held.replicas.updated).toBe(0);
    expect(
      (await pods("prod-eu", "shop", "frontend")).map((pod) => pod.spec.containers[0]?.image),
    ).not.toContain(image);

    expect((await call(client, "k8s_rollout_resume", target)).isError).toBeFalsy();
    const resumed = await rolloutStatus("prod-eu", "shop", "frontend");
    expect(resumed.paused).toBe(false);
    expect(resumed.replicas.updated).toBe(resumed.replicas.desired);
    const images = (await pods("prod-eu", "shop", "frontend")).map((pod) => pod.spec.containers[0]?.image);
    expect(images.length).toBe(resumed.replicas.desired);
    expect(new Set(images)).toEqual(new Set([image]));
  });

  test("scaling changes the number of pods, and a deleted pod is replaced", async () => {
    const target = { context: "prod-us", namespace: "shop", resource_type: "deployment", name: "checkout" };
    expect((await call(client, "k8s_scale_resource", { ...target, replicas: 5 })).isError).toBeFalsy();
    const scaled = await pods("prod-us", "shop", "checkout");
    expect(scaled).toHaveLength(5);

    const victim = scaled[0]?.metadata.name ?? "";
    const deleted = await call(client, "k8s_delete_resource", {
      ...target,
      resource_type: "pod",
      name: victim,
    });
    expect(deleted.isError).toBeFalsy();
    const after = (await pods("prod-us", "shop", "checkout")).map((pod) => pod.metadata.name);
    expect(after).toHaveLength(5);
    expect(after).not.toContain(victim);
  });

  test("k8s_pod_exec answers common commands from inside the pod", async () => {
    const [pod] = await pods("prod-eu", "payments", "payments-api");
    const podName = pod?.metadata.name ?? "";
    const exec = (command: string) =>
      call(client, "k8s_pod_exec", { context: "prod-eu", pod_name: podName, namespace: "payments", command });

    expect(textOf(await exec("cat /etc/hostname")).trim()).toBe(podName);
    expect(textOf(await exec("hostname")).trim()).toBe(podName);
    expect(textOf(await exec("whoami")).trim()).toMatch(/^[a-z_][a-z0-9_-]*$/);
    expect(textOf(await exec("env")).split("\n")).toContain(`HOSTNAME=${podName}`);
    expect(textOf(await exec("ls /")).split("\n")).toEqual(expect.arrayContaining(["etc", "usr", "tmp"]));
    expect(textOf(await exec("sh -c 'echo hello from the pod'"))).toBe("hello from the pod");
    expect(textOf(await exec("curl -s http://localhost:8443/healthz"))).toMatch(/command executed/);

    const missing = await exec("cat /no/such/file");
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/No such file/);
  });

  test("a crash-looping release is diagnosed, and rolling back heals it", async () => {
    const app = { context: "staging", namespace: "payments", app_name: "payments-api" };
    type Diagnosis = { health: string; issues: string[]; pods: { name: string; ready: boolean }[] };
    const before = jsonOf<Diagnosis>(await call(client, "k8s_diagnose_application", app));
    expect(before.health).not.toBe("Healthy");
    expect(before.issues.join("\n")).toMatch(/CrashLoopBackOff/);

    const crashed = before.pods.find((pod) => !pod.ready)?.name ?? "";
    const logArgs = { context: "staging", namespace: "payments", pod: crashed, previousContainer: true };
    const logs = await call(client, "k8s_get_pod_logs", logArgs);
    expect(logs.isError).toBeFalsy();
    expect(textOf(logs)).toMatch(/panic|error/i);

    const target = {
      context: "staging",
      namespace: "payments",
      resource_type: "deployment",
      name: "payments-api",
    };
    type History = { revisions: { revision: number; images: string[]; current: boolean }[] };
    const history = jsonOf<History>(await call(client, "k8s_rollout_history", target));
    const previous = history.revisions[1];
    expect(previous).toBeDefined();

    expect((await call(client, "k8s_rollout_undo", target)).isError).toBeFalsy();
    const after = jsonOf<Diagnosis>(await call(client, "k8s_diagnose_application", app));
    expect(after.health).toBe("Healthy");
    const images = (await pods("staging", "payments", "payments-api")).map(
      (pod) => pod.spec.containers[0]?.image,
    );
    expect(new Set(images)).toEqual(new Set(previous?.images));
  });

  test("draining a node refuses DaemonSet pods unless told, then moves the other pods away", async () => {
    type NodeInfo = { name: string; status: string };
    const [node] = jsonOf<NodeInfo[]>(await call(client, "k8s_get_nodes", { context: "prod-us" }));
    const nodeName = node?.name ?? "";
    const refused = await call(client, "k8s_drain_node", { context: "prod-us", node_name: nodeName });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/DaemonSet/);

    const drained = await call(client, "k8s_drain_node", {
      context: "prod-us",
      node_name: nodeName,
      ignore_daemonsets: true,
    });
    expect(jsonOf<{ evicted: string[] }>(drained).evicted.length).toBeGreaterThan(0);
    const nodes = jsonOf<NodeInfo[]>(await call(client, "k8s_get_nodes", { context: "prod-us" }));
    expect(nodes.find((candidate) => candidate.name === nodeName)?.status).toMatch(/SchedulingDisabled/);

    const everywhere = jsonOf<{
      items: (PodManifest & { metadata: { ownerReferences?: { kind: string }[] } })[];
    }>(await call(client, "k8s_get_resources", { context: "prod-us", kind: "pods" })).items;
    const left = everywhere.filter((pod) => pod.spec.nodeName === nodeName);
    expect(left.every((pod) => pod.metadata.ownerReferences?.[0]?.kind === "DaemonSet")).toBe(true);
  });

  test("applying YAML creates a deployment, then reapplying it configures the change", async () => {
    const manifest = (replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
  namespace: default
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: echo }
  template:
    metadata:
      labels: { app: echo }
    spec:
      containers:
        - name: echo
          image: docker.io/hashicorp/http-echo:1.0
`;
    const first = jsonOf<{ results: string[] }>(
      await call(client, "k8s_apply_resource", { context: "staging", yaml_content: manifest(1) }),
    );
    expect(first.results.join()).toMatch(/created/);
    const second = jsonOf<{ results: string[] }>(
      await call(client, "k8s_apply_resource", { context: "staging", yaml_content: manifest(3) }),
    );
    expect(second.results.join()).toMatch(/configured/);
    expect(await pods("staging", "default", "echo")).toHaveLength(3);

    const broken = await call(client, "k8s_apply_resource", {
      context: "staging",
      yaml_content: "kind: [unclosed",
    });
    expect(broken.isError).toBe(true);
  });

  test("secrets are listed without their values; the detail decodes them on request", async () => {
    const listing = textOf(
      await call(client, "k8s_list_secret", { context: "prod-eu", namespace: "payments" }),
    );
    const detail = jsonOf<{ data: Record<string, string> }>(
      await call(client, "k8s_get_secret_detail", {
        context: "prod-eu",
        namespace: "payments",
        name: "ledger-db-credentials",
        decode: true,
      }),
    );
    expect(detail.data.password).toBeTruthy();
    expect(listing).toContain("ledger-db-credentials");
    expect(listing).not.toContain(detail.data.password);
  });

  test("changing an existing label needs overwrite", async () => {
    const target = { context: "prod-eu", resource_type: "namespace", name: "monitoring" };
    expect(
      (await call(client, "k8s_label_resource", { ...target, labels: { tier: "ops" } })).isError,
    ).toBeFalsy();
    const refused = await call(client, "k8s_label_resource", { ...target, labels: { tier: "infra" } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/overwrite/);
    const changed = await call(client, "k8s_label_resource", {
      ...target,
      labels: { tier: "infra" },
      overwrite: true,
    });
    expect(jsonOf<{ labels: Record<string, string> }>(changed).labels.tier).toBe("infra");
  });

  test("invalid arguments are an error result naming the problem", async () => {
    const missing = await call(client, "k8s_scale_resource", {
      context: "prod-eu",
      namespace: "shop",
      resource_type: "deployment",
      name: "frontend",
    });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/replicas/);

    const wrongType = await call(client, "k8s_get_events", {
      context: "prod-eu",
      namespace: "shop",
      limit: "ten",
    });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/limit/);
    expect(textOf(wrongType)).toMatch(/integer/);
  });

  test("an unknown context is an error result naming the context", async () => {
    const result = await call(client, "k8s_get_namespaces", { context: "moon-base" });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain("moon-base");
  });

  test("an unknown tool is a JSON-RPC invalid-params error", async () => {
    await expect(call(client, "k8s_launch_missiles")).rejects.toMatchObject({ code: -32602 });
  });
});
