import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { describe, expect, test } from "vitest";
import { createK8sServer, SimulatedCluster } from "../src/index.js";

describe("the simulated cluster", () => {
  test("is the same on every construction: names, IPs and timestamps included", () => {
    const first = new SimulatedCluster();
    const second = new SimulatedCluster();
    for (const context of first.contextNames()) {
      expect(second.list(context, "pods")).toEqual(first.list(context, "pods"));
      expect(second.list(context, "services")).toEqual(first.list(context, "services"));
    }
  });

  test("a server built on a given cluster changes that cluster, stamping time from its clock", async () => {
    const at = Date.parse("2030-01-02T03:04:05Z");
    const cluster = new SimulatedCluster({ clock: () => at });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createK8sServer({ cluster }).connect(serverSide);
    const client = new Client({ name: "in-memory", version: "0" });
    await client.connect(clientSide);
    await client.callTool({ name: "k8s_create_ns", arguments: { context: "prod-us", name: "audit" } });
    await client.close();
    expect(cluster.get("prod-us", "namespace", "audit")?.metadata.creationTimestamp).toBe(
      "2030-01-02T03:04:05Z",
    );
  });

  test("exposes manifests as copies, so inspecting cannot change the cluster", () => {
    const cluster = new SimulatedCluster();
    const namespace = cluster.get("prod-eu", "namespace", "payments");
    if (!namespace) throw new Error("the seeded payments namespace is missing");
    (namespace.metadata as { labels: Record<string, string> }).labels.tampered = "yes";
    expect(cluster.get("prod-eu", "namespace", "payments")?.metadata.labels).not.toHaveProperty("tampered");
  });

  test("an unknown context is refused by name", () => {
    expect(() => new SimulatedCluster().context("nowhere")).toThrow(/nowhere/);
  });
});
