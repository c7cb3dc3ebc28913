/**
 * k8s_diagnose_application: what an SRE would check first (rollout, pod states, warning events)
 * and what they would try next, phrased as the tools that do it.
 */
import { optionalText, text } from "../args.js";
import { eventsIn } from "../cluster/events.js";
import type { ClusterState, Pod, Workload } from "../cluster/model.js";
import { isReady, ownedPods, podStatusText } from "../cluster/pods.js";
import { rolloutStatus } from "../cluster/rollout.js";
import { requireWorkload } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import { stateOf } from "./common.js";

interface Finding {
  issues: string[];
  recommendations: string[];
}

function podFindings(pods: Pod[], workload: Workload, finding: Finding): void {
  for (const pod of pods) {
    for (const status of pod.statuses.filter((candidate) => candidate.waitingReason === "CrashLoopBackOff")) {
      finding.issues.push(
        `Pod ${pod.name}: container ${status.name} is in CrashLoopBackOff (${status.restarts} restarts)`,
      );
    }
    if (pod.phase === "Pending") finding.issues.push(`Pod ${pod.name} is Pending: no schedulable node`);
  }
  if (pods.some((pod) => pod.statuses.some((status) => status.waitingReason === "CrashLoopBackOff"))) {
    const crashing = pods.find((pod) => !isReady(pod));
    finding.recommendations.push(
      `Read the crashed container's logs: k8s_get_pod_logs with pod=${crashing?.name} and previousContainer=true`,
    );
    const previous = workload.revisions.at(-2);
    if (previous) {
      const images = previous.template.containers.map((container) => container.image).join(", ");
      finding.recommendations.push(
        `Roll back with k8s_rollout_undo (revision ${previous.number} runs ${images})`,
      );
    }
  }
  if (pods.some((pod) => pod.phase === "Pending")) {
    finding.recommendations.push(
      "Uncordon or add nodes: k8s_get_nodes shows which are SchedulingDisabled or tainted",
    );
  }
}

function diagnose(state: ClusterState, workload: Workload) {
  const status = rolloutStatus(state, workload);
  const pods = ownedPods(state, workload);
  const finding: Finding = { issues: [], recommendations: [] };
  if (workload.paused) {
    finding.issues.push(
      `Rollout is paused with ${status.updated} of ${status.desired} replicas on the current template`,
    );
    finding.recommendations.push("Resume the rollout with k8s_rollout_resume once the change is verified");
  }
  podFindings(pods, workload, finding);
  const objects = new Set([
    `${workload.kind.toLowerCase()}/${workload.name}`,
    ...pods.map((pod) => `pod/${pod.name}`),
  ]);
  const warnings = eventsIn(state, workload.namespace).filter(
    (event) => event.type === "Warning" && objects.has(event.object),
  );
  const health =
    status.ready === 0 && status.desired > 0
      ? "Unavailable"
      : finding.issues.length > 0
        ? "Degraded"
        : "Healthy";
  return {
    application: workload.name,
    kind: workload.kind,
    namespace: workload.namespace,
    health,
    rollout: status.message,
    replicas: { desired: status.desired, ready: status.ready, updated: status.updated },
    pods: pods.map((pod) => ({
      name: pod.name,
      status: podStatusText(pod),
      ready: isReady(pod),
      restarts: pod.statuses.reduce((total, container) => total + container.restarts, 0),
      node: pod.nodeName || null,
    })),
    issues: finding.issues,
    warning_events: warnings.map((event) => ({
      reason: event.reason,
      object: event.object,
      message: event.message,
      count: event.count,
    })),
    recommendations: finding.recommendations,
  };
}

export function diagnoseTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  return {
    k8s_diagnose_application: (args) => {
      const state = stateOf(cluster, args);
      const kind = optionalText(args, "resource_type") ?? "deployment";
      const workload = requireWorkload(state, kind, text(args, "namespace"), text(args, "app_name"));
      return jsonResult(diagnose(state, workload));
    },
  };
}
