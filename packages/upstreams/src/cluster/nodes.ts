/** Node maintenance: cordon, drain, taints. Evicted pods are recreated elsewhere by their controllers. */
import { ClusterError, invalid } from "./errors.js";
import type { ClusterState, Node, Pod, Taint } from "./model.js";
import { newPodIp } from "./names.js";
import { isSchedulable, pickNode, removePod } from "./pods.js";
import { reconcile } from "./rollout.js";

export function setUnschedulable(state: ClusterState, node: Node, unschedulable: boolean): boolean {
  if (node.unschedulable === unschedulable) return false;
  node.unschedulable = unschedulable;
  if (!unschedulable) schedulePending(state);
  return true;
}

/** Pods waiting for room get it as soon as a node can take them. */
function schedulePending(state: ClusterState): void {
  for (const pod of state.pods.filter((candidate) => candidate.nodeName === "")) {
    const node = pickNode(state);
    if (!node) return;
    pod.nodeName = node.name;
    pod.ip = newPodIp(state);
    pod.phase = "Running";
    pod.statuses = pod.statuses.map((status) => {
      const crashing = state.crashingImages.has(status.image);
      return crashing
        ? { ...status, ready: false, waitingReason: "CrashLoopBackOff" }
        : { name: status.name, image: status.image, ready: true, restarts: status.restarts };
    });
  }
}

export interface DrainOptions {
  force: boolean;
  ignoreDaemonSets: boolean;
}

/** kubectl drain: cordon, refuse pods it cannot safely move unless told to, evict the rest. */
export function drainNode(state: ClusterState, node: Node, options: DrainOptions): Pod[] {
  const pods = state.pods.filter((pod) => pod.nodeName === node.name);
  const daemonPods = pods.filter((pod) => pod.owner?.kind === "DaemonSet");
  const barePods = pods.filter((pod) => !pod.owner);
  const problems: string[] = [];
  if (daemonPods.length > 0 && !options.ignoreDaemonSets) {
    problems.push(
      `cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${refs(daemonPods)}`,
    );
  }
  if (barePods.length > 0 && !options.force) {
    problems.push(`cannot delete Pods declare no controller (use --force to override): ${refs(barePods)}`);
  }
  if (problems.length > 0) {
    throw invalid(`unable to drain node "${node.name}" due to error: ${problems.join(", ")}`);
  }
  setUnschedulable(state, node, true);
  const evicted = pods.filter((pod) => pod.owner?.kind !== "DaemonSet");
  for (const pod of evicted) removePod(state, pod);
  for (const workload of state.workloads) reconcile(state, workload);
  return evicted;
}

function refs(pods: Pod[]): string {
  return pods.map((pod) => `${pod.namespace}/${pod.name}`).join(", ");
}

export function addTaint(state: ClusterState, node: Node, taint: Taint): "tainted" | "modified" {
  const index = node.taints.findIndex(
    (current) => current.key === taint.key && current.effect === taint.effect,
  );
  if (index >= 0) node.taints[index] = taint;
  else node.taints.push(taint);
  // NoExecute also evicts what is already running there, as the taint manager would.
  if (taint.effect === "NoExecute") {
    for (const pod of state.pods.filter((candidate) => candidate.nodeName === node.name))
      removePod(state, pod);
    for (const workload of state.workloads) reconcile(state, workload);
  }
  return index >= 0 ? "modified" : "tainted";
}

export function removeTaint(state: ClusterState, node: Node, key: string, effect?: string): Taint[] {
  const removed = node.taints.filter((taint) => taint.key === key && (!effect || taint.effect === effect));
  if (removed.length === 0) {
    throw new ClusterError(
      "NotFound",
      `taint "${key}${effect ? `:${effect}` : ""}" not found on node "${node.name}"`,
    );
  }
  node.taints = node.taints.filter((taint) => !removed.includes(taint));
  if (isSchedulable(node)) schedulePending(state);
  return removed;
}
