/**
 * The OCM view of the fleet: ManagedCluster objects on the hub name the clusters kube_executor can
 * reach; "default" (or no cluster) means the hub itself.
 */

import { applyManifest } from "../cluster/apply.js";
import { ClusterError } from "../cluster/errors.js";
import type { StoredObject } from "../cluster/model.js";
import { age } from "../cluster/quantity.js";
import { lookup } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";

const HUB_CONTEXT = "hub";
const HUB_NAMES = new Set(["default", "local-cluster", HUB_CONTEXT]);
const MCP_SERVER = "multicluster-mcp-server";
const ADDON_NAMESPACE = "open-cluster-management-agent-addon";

function managedClusters(cluster: SimulatedCluster): StoredObject[] {
  return cluster
    .context(HUB_CONTEXT)
    .objects.filter((object) => object.kind === "ManagedCluster")
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The simulated context behind a managed cluster name; unknown names fail like a missing kubeconfig. */
export function contextFor(cluster: SimulatedCluster, name: string | undefined): string {
  if (!name || HUB_NAMES.has(name)) return HUB_CONTEXT;
  const known = managedClusters(cluster).map((managed) => managed.name);
  if (!known.includes(name) || !cluster.contextNames().includes(name)) {
    throw new ClusterError(
      "UnknownContext",
      `KUBECONFIG for cluster '${name}' does not exist: no managed cluster named "${name}" (available: ${known.join(", ")})`,
    );
  }
  return name;
}

function condition(object: StoredObject, type: string): string {
  const conditions = (object.body.status as { conditions?: { type: string; status: string }[] } | undefined)
    ?.conditions;
  return conditions?.find((candidate) => candidate.type === type)?.status ?? "False";
}

/** `kubectl get managedclusters` on the hub, as the clusters tool prints it. */
export function clustersTable(cluster: SimulatedCluster): string {
  const now = cluster.context(HUB_CONTEXT).clock();
  const rows = managedClusters(cluster).map((managed) => {
    const spec = managed.body.spec as {
      hubAcceptsClient?: boolean;
      managedClusterClientConfigs?: { url?: string }[];
    };
    return [
      managed.name.padEnd(14),
      String(spec.hubAcceptsClient ?? false).padEnd(15),
      (spec.managedClusterClientConfigs?.[0]?.url ?? "N/A").padEnd(72),
      condition(managed, "ManagedClusterJoined").padEnd(8),
      condition(managed, "ManagedClusterConditionAvailable").padEnd(11),
      age(managed.createdAt, now),
    ].join(" ");
  });
  const header = [
    "NAME".padEnd(14),
    "HUB ACCEPTED".padEnd(15),
    "MANAGED CLUSTER URLS".padEnd(72),
    "JOINED  ",
    "AVAILABLE  ",
    "AGE",
  ];
  return [header.join(" "), ...rows].join("\n");
}

/**
 * connect_cluster: a ManagedServiceAccount and a ManifestWork on the hub, and on the managed cluster
 * the service account bound to the requested ClusterRole, which is the access the agent now holds.
 */
export function connectCluster(cluster: SimulatedCluster, name: string, clusterRole: string): string {
  const context = contextFor(cluster, name);
  const managedName = context === HUB_CONTEXT ? "local-cluster" : name;
  const target = cluster.context(context);
  lookup(target, "clusterrole", clusterRole, "");
  const hub = cluster.context(HUB_CONTEXT);
  const binding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name: `${MCP_SERVER}-binding` },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
    subjects: [{ kind: "ServiceAccount", name: MCP_SERVER, namespace: ADDON_NAMESPACE }],
  };
  const manifests = [
    {
      apiVersion: "authentication.open-cluster-management.io/v1beta1",
      kind: "ManagedServiceAccount",
      metadata: { name: MCP_SERVER, namespace: managedName },
      spec: { rotation: {} },
    },
    {
      apiVersion: "work.open-cluster-management.io/v1",
      kind: "ManifestWork",
      metadata: { name: MCP_SERVER, namespace: managedName },
      spec: { workload: { manifests: [binding] } },
    },
  ];
  for (const manifest of manifests) applyManifest(hub, manifest, { mode: "apply" });
  applyManifest(
    target,
    { apiVersion: "v1", kind: "Namespace", metadata: { name: ADDON_NAMESPACE } },
    { mode: "apply" },
  );
  applyManifest(
    target,
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: MCP_SERVER, namespace: ADDON_NAMESPACE } },
    { mode: "apply" },
  );
  applyManifest(target, binding, { mode: "apply" });
  return `/tmp/${MCP_SERVER}.${managedName}`;
}
