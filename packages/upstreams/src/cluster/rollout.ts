/**
 * The workload controllers, collapsed into one synchronous step: after any change to a Deployment,
 * StatefulSet or DaemonSet, `reconcile` makes its pods match. A paused rollout keeps running the old
 * template (`liveTemplate`) until resumed, which is what makes pausing observable.
 */
import { ClusterError, invalid } from "./errors.js";
import { recordEvent } from "./events.js";
import type { ClusterState, Pod, PodTemplate, StringMap, Workload } from "./model.js";
import { newSuffix } from "./names.js";
import { createPod, isReady, ownedPods, type PodInput, removePod, templateHash } from "./pods.js";
import { iso } from "./quantity.js";

const REVISION_HISTORY_LIMIT = 10;
export const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";
export const CHANGE_CAUSE = "kubernetes.io/change-cause";

function label(workload: Workload): string {
  return `${workload.kind.toLowerCase()}.apps/${workload.name}`;
}

export function desiredReplicas(state: ClusterState, workload: Workload): number {
  return workload.kind === "DaemonSet" ? state.nodes.size : workload.replicas;
}

export function reconcile(state: ClusterState, workload: Workload, at = state.clock()): void {
  const liveHash = templateHash(workload.liveTemplate);
  const outdated = ownedPods(state, workload).filter((pod) => pod.templateHash !== liveHash);
  for (const pod of outdated) removePod(state, pod);
  if (workload.kind === "DaemonSet") {
    reconcileDaemonPods(state, workload, liveHash, at);
  } else {
    reconcileReplicas(state, workload, liveHash, at);
  }
}

function reconcileReplicas(state: ClusterState, workload: Workload, liveHash: string, at: number): void {
  // Scaling down removes the newest pods, or a StatefulSet's highest ordinals.
  const current = ownedPods(state, workload).sort((a, b) =>
    a.name.localeCompare(b.name, "en", { numeric: true }),
  );
  if (workload.kind === "Deployment") current.sort((a, b) => a.createdAt - b.createdAt);
  const surplus = current.slice(workload.replicas);
  for (const pod of surplus) removePod(state, pod);
  const missing = Math.max(0, workload.replicas - current.length);
  for (let count = 0; count < missing; count++) {
    createPod(state, podInput(workload, liveHash, podName(state, workload, liveHash)), at);
  }
  if (workload.kind === "Deployment" && (missing > 0 || surplus.length > 0)) {
    const direction = missing > 0 ? "up" : "down";
    recordEvent(
      state,
      {
        namespace: workload.namespace,
        reason: "ScalingReplicaSet",
        object: `deployment/${workload.name}`,
        message: `Scaled ${direction} replica set ${workload.name}-${liveHash} to ${workload.replicas}`,
      },
      at,
    );
  }
}

function reconcileDaemonPods(state: ClusterState, workload: Workload, liveHash: string, at: number): void {
  const current = ownedPods(state, workload);
  for (const node of state.nodes.values()) {
    if (current.some((pod) => pod.nodeName === node.name)) continue;
    const name = `${workload.name}-${newSuffix(state)}`;
    createPod(state, { ...podInput(workload, liveHash, name), nodeName: node.name }, at);
  }
  for (const pod of current.filter((pod) => !state.nodes.has(pod.nodeName))) removePod(state, pod);
}

/** Deployments get hash-suffixed names; StatefulSets reuse the lowest free ordinal, as their pods keep identity. */
function podName(state: ClusterState, workload: Workload, liveHash: string): string {
  if (workload.kind !== "StatefulSet") return `${workload.name}-${liveHash}-${newSuffix(state)}`;
  const taken = new Set(ownedPods(state, workload).map((pod) => pod.name));
  let ordinal = 0;
  while (taken.has(`${workload.name}-${ordinal}`)) ordinal++;
  return `${workload.name}-${ordinal}`;
}

function podInput(workload: Workload, liveHash: string, name: string): PodInput {
  const hashLabel: StringMap =
    workload.kind === "Deployment"
      ? { "pod-template-hash": liveHash }
      : { "controller-revision-hash": liveHash };
  return {
    name,
    namespace: workload.namespace,
    labels: { ...workload.liveTemplate.labels, ...hashLabel },
    annotations: workload.liveTemplate.annotations,
    containers: workload.liveTemplate.containers,
    owner: { kind: workload.kind, name: workload.name },
    templateHash: liveHash,
  };
}

/** Records a new revision when the template really changed; rolls it out unless paused. */
export function setTemplate(
  state: ClusterState,
  workload: Workload,
  template: PodTemplate,
  changeCause: string,
  at = state.clock(),
): boolean {
  const hash = templateHash(template);
  if (hash === templateHash(workload.template)) return false;
  const latest = workload.revisions.at(-1)?.number ?? 0;
  // Returning to an old template reuses its revision under a new number, as ReplicaSets do.
  const history = workload.revisions.filter((revision) => templateHash(revision.template) !== hash);
  history.push({ number: latest + 1, template: structuredClone(template), changeCause, createdAt: at });
  workload.revisions = history.slice(-REVISION_HISTORY_LIMIT);
  workload.template = structuredClone(template);
  workload.generation += 1;
  if (!workload.paused) workload.liveTemplate = structuredClone(template);
  reconcile(state, workload, at);
  return true;
}

export function scaleWorkload(state: ClusterState, workload: Workload, replicas: number): void {
  if (workload.kind === "DaemonSet") {
    throw invalid(`no scaler has been implemented for {apps DaemonSet}: ${label(workload)}`);
  }
  if (replicas < 0)
    throw invalid(`The ${workload.kind} "${workload.name}" is invalid: spec.replicas: must be >= 0`);
  workload.replicas = replicas;
  workload.generation += 1;
  reconcile(state, workload);
}

export function pauseRollout(workload: Workload): void {
  if (workload.paused) throw invalid(`${label(workload)} is already paused`);
  workload.paused = true;
  workload.generation += 1;
}

export function resumeRollout(state: ClusterState, workload: Workload): void {
  if (!workload.paused) throw invalid(`${label(workload)} is not paused`);
  workload.paused = false;
  workload.generation += 1;
  workload.liveTemplate = structuredClone(workload.template);
  reconcile(state, workload);
}

export function restartRollout(state: ClusterState, workload: Workload): void {
  if (workload.paused) {
    throw invalid(
      `${label(workload)} can't restart paused ${workload.kind.toLowerCase()} (run rollout resume first)`,
    );
  }
  const at = state.clock();
  const annotations = { ...workload.template.annotations, [RESTARTED_AT]: iso(at) };
  setTemplate(state, workload, { ...workload.template, annotations }, "kubectl rollout restart", at);
}

export function undoRollout(state: ClusterState, workload: Workload, toRevision?: number): number {
  if (workload.paused) {
    throw invalid(
      `you cannot rollback a paused ${workload.kind.toLowerCase()}; resume it first with 'kubectl rollout resume'`,
    );
  }
  const target =
    toRevision === undefined
      ? workload.revisions.at(-2)
      : workload.revisions.find((revision) => revision.number === toRevision);
  if (!target) {
    throw new ClusterError(
      "NotFound",
      toRevision === undefined
        ? `no rollout history found for ${label(workload)}`
        : `unable to find specified revision ${toRevision} in history`,
    );
  }
  setTemplate(state, workload, target.template, target.changeCause);
  return target.number;
}

export interface RolloutStatus {
  desired: number;
  current: number;
  updated: number;
  ready: number;
  paused: boolean;
  complete: boolean;
  message: string;
}

export function rolloutStatus(state: ClusterState, workload: Workload): RolloutStatus {
  const desired = desiredReplicas(state, workload);
  const pods = ownedPods(state, workload);
  const wantedHash = templateHash(workload.template);
  const updated = pods.filter((pod: Pod) => pod.templateHash === wantedHash);
  const ready = updated.filter(isReady).length;
  const complete = updated.length >= desired && ready >= desired && pods.length === desired;
  const kind = workload.kind.toLowerCase();
  const waiting = `Waiting for ${kind} "${workload.name}" rollout to finish`;
  let message = `${kind} "${workload.name}" successfully rolled out`;
  if (updated.length < desired) {
    message = `${waiting}: ${updated.length} out of ${desired} new replicas have been updated...`;
  } else if (!complete) {
    message = `${waiting}: ${ready} of ${desired} updated replicas are available...`;
  }
  if (workload.paused) message = `${message} (rollout paused)`;
  return {
    desired,
    current: pods.length,
    updated: updated.length,
    ready,
    paused: workload.paused,
    complete,
    message,
  };
}
