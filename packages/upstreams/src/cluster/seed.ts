/**
 * Builds a cluster from a blueprint by replaying its history through the same apply path the tools
 * use: a later manifest for the same workload becomes a new revision, so rollout history is real.
 */
import { applyManifest } from "./apply.js";
import type { ClusterState, Node, Taint } from "./model.js";
import { newUid } from "./names.js";

export const SEED_TIME = Date.parse("2025-06-02T09:00:00Z");
const DAY = 86_400_000;

export interface NodeBlueprint {
  name: string;
  internalIP: string;
  cpu: number;
  memoryGi: number;
  roles?: string[];
  taints?: Taint[];
  labels?: Record<string, string>;
}

export interface HistoryStep {
  daysAgo: number;
  manifests: Record<string, unknown>[];
}

export interface ClusterBlueprint {
  context: string;
  clusterName: string;
  user: string;
  server: string;
  version: string;
  region: string;
  nodes: NodeBlueprint[];
  crashingImages?: string[];
  history: HistoryStep[];
}

export function buildCluster(blueprint: ClusterBlueprint, clock: () => number): ClusterState {
  const state: ClusterState = {
    context: blueprint.context,
    clusterName: blueprint.clusterName,
    user: blueprint.user,
    server: blueprint.server,
    version: blueprint.version,
    region: blueprint.region,
    namespaces: new Map(),
    nodes: new Map(),
    workloads: [],
    pods: [],
    objects: [],
    events: [],
    crashingImages: new Set(blueprint.crashingImages),
    serial: 0,
    clock,
  };
  const oldest = Math.max(...blueprint.history.map((step) => step.daysAgo));
  for (const node of blueprint.nodes) state.nodes.set(node.name, nodeRecord(state, blueprint, node, oldest));
  for (const step of blueprint.history) {
    for (const manifest of step.manifests) {
      applyManifest(state, manifest, { mode: "apply", at: SEED_TIME - step.daysAgo * DAY });
    }
  }
  return state;
}

function nodeRecord(
  state: ClusterState,
  blueprint: ClusterBlueprint,
  node: NodeBlueprint,
  daysAgo: number,
): Node {
  const zone = `${blueprint.region}${"abc"[state.nodes.size % 3]}`;
  return {
    name: node.name,
    uid: newUid(state),
    createdAt: SEED_TIME - daysAgo * DAY,
    annotations: {},
    labels: {
      "kubernetes.io/hostname": node.name,
      "kubernetes.io/os": "linux",
      "topology.kubernetes.io/region": blueprint.region,
      "topology.kubernetes.io/zone": zone,
      ...Object.fromEntries((node.roles ?? []).map((role) => [`node-role.kubernetes.io/${role}`, ""])),
      ...node.labels,
    },
    roles: node.roles ?? [],
    kubeletVersion: blueprint.version,
    internalIP: node.internalIP,
    unschedulable: false,
    taints: node.taints ?? [],
    capacity: { cpuMillis: node.cpu * 1000, memoryMi: node.memoryGi * 1024, pods: 110 },
  };
}
