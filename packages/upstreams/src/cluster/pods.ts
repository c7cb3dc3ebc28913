/** Pods: scheduling onto nodes, container start (or crash), removal. */
import { recordEvent } from "./events.js";
import type {
  ClusterState,
  ContainerSpec,
  ContainerStatus,
  Node,
  Pod,
  StringMap,
  Workload,
} from "./model.js";
import { newPodIp, newUid, shortHash } from "./names.js";

export interface PodInput {
  name: string;
  namespace: string;
  labels: StringMap;
  annotations?: StringMap;
  containers: ContainerSpec[];
  owner?: Pod["owner"];
  templateHash?: string;
  /** DaemonSet pods are bound to their node; other pods go where there is room. */
  nodeName?: string;
}

// Seeded crash loops have restarted a while; a fresh crash has only just begun.
const CRASH_RESTARTS = 5;

export function templateHash(value: unknown): string {
  return shortHash(JSON.stringify(value), 10);
}

export function isSchedulable(node: Node): boolean {
  return !node.unschedulable && !node.taints.some((taint) => taint.effect !== "PreferNoSchedule");
}

/** The schedulable node with the fewest pods (ties broken by name), so placement is repeatable. */
export function pickNode(state: ClusterState): Node | undefined {
  const load = (node: Node) => state.pods.filter((pod) => pod.nodeName === node.name).length;
  return [...state.nodes.values()]
    .filter(isSchedulable)
    .sort((a, b) => load(a) - load(b) || a.name.localeCompare(b.name))[0];
}

function containerStatus(state: ClusterState, container: ContainerSpec, scheduled: boolean): ContainerStatus {
  const base = { name: container.name, image: container.image };
  if (!scheduled) return { ...base, ready: false, restarts: 0, waitingReason: "ContainerCreating" };
  if (state.crashingImages.has(container.image)) {
    return { ...base, ready: false, restarts: CRASH_RESTARTS, waitingReason: "CrashLoopBackOff" };
  }
  return { ...base, ready: true, restarts: 0 };
}

export function createPod(state: ClusterState, input: PodInput, at = state.clock()): Pod {
  const nodeName = input.nodeName ?? pickNode(state)?.name ?? "";
  const scheduled = nodeName !== "";
  const pod: Pod = {
    name: input.name,
    uid: newUid(state),
    labels: { ...input.labels },
    annotations: { ...input.annotations },
    createdAt: at,
    namespace: input.namespace,
    owner: input.owner,
    templateHash: input.templateHash ?? templateHash(input.containers),
    nodeName,
    ip: scheduled ? newPodIp(state) : "",
    phase: scheduled ? "Running" : "Pending",
    containers: input.containers.map((container) => structuredClone(container)),
    statuses: input.containers.map((container) => containerStatus(state, container, scheduled)),
  };
  state.pods.push(pod);
  if (!scheduled) {
    const nodes = state.nodes.size;
    recordEvent(
      state,
      {
        namespace: pod.namespace,
        type: "Warning",
        reason: "FailedScheduling",
        object: `pod/${pod.name}`,
        message: `0/${nodes} nodes are available: ${nodes} node(s) were unschedulable.`,
      },
      at,
    );
  } else if (pod.statuses.some((status) => status.waitingReason === "CrashLoopBackOff")) {
    const crashing = pod.statuses.find((status) => status.waitingReason === "CrashLoopBackOff");
    recordEvent(
      state,
      {
        namespace: pod.namespace,
        type: "Warning",
        reason: "BackOff",
        object: `pod/${pod.name}`,
        message: `Back-off restarting failed container ${crashing?.name} in pod ${pod.name}`,
      },
      at,
    );
  }
  return pod;
}

export function removePod(state: ClusterState, pod: Pod): void {
  state.pods = state.pods.filter((candidate) => candidate !== pod);
}

export function isReady(pod: Pod): boolean {
  return pod.phase === "Running" && pod.statuses.every((status) => status.ready);
}

export function ownedPods(state: ClusterState, workload: Workload): Pod[] {
  return state.pods.filter(
    (pod) =>
      pod.namespace === workload.namespace &&
      pod.owner?.kind === workload.kind &&
      pod.owner.name === workload.name,
  );
}

export function podStatusText(pod: Pod): string {
  const waiting = pod.statuses.find((status) => status.waitingReason);
  return pod.phase === "Running" && waiting?.waitingReason ? waiting.waitingReason : pod.phase;
}
