/**
 * One way to list, find and delete any kind, whichever collection holds it, so tools that take a
 * free-form `resource_type` (describe, label, delete...) work the same for every kind.
 */
import { ClusterError, notFound } from "./errors.js";
import { type KindInfo, resolveKind, resourceName } from "./kinds.js";
import type { ClusterState, Namespace, Node, ObjectMeta, Pod, Workload, WorkloadKind } from "./model.js";
import { WORKLOAD_KINDS } from "./model.js";
import { removePod } from "./pods.js";
import { reconcile } from "./rollout.js";

export interface Resource {
  info: KindInfo;
  namespace?: string;
  record: ObjectMeta;
}

type Namespaced = ObjectMeta & { namespace?: string };

// Namespaces the API server refuses to delete.
const PROTECTED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

function recordsOf(state: ClusterState, info: KindInfo): Namespaced[] {
  if (info.kind === "Namespace") return [...state.namespaces.values()];
  if (info.kind === "Node") return [...state.nodes.values()];
  if (info.kind === "Pod") return state.pods;
  if (info.kind === "Event") return state.events;
  if (isWorkloadKind(info.kind)) return state.workloads.filter((workload) => workload.kind === info.kind);
  return state.objects.filter((object) => object.kind === info.kind && object.apiVersion === info.apiVersion);
}

/** All of a kind, in one namespace or (namespace undefined) across all of them; sorted by namespace and name. */
export function listResources(state: ClusterState, info: KindInfo, namespace?: string): Resource[] {
  return recordsOf(state, info)
    .filter((record) => !info.namespaced || namespace === undefined || record.namespace === namespace)
    .map((record) => ({ info, namespace: info.namespaced ? record.namespace : undefined, record }))
    .sort(
      (a, b) =>
        (a.namespace ?? "").localeCompare(b.namespace ?? "") || a.record.name.localeCompare(b.record.name),
    );
}

export function findResource(state: ClusterState, info: KindInfo, name: string, namespace: string) {
  return listResources(state, info, info.namespaced ? namespace : undefined).find(
    (resource) => resource.record.name === name,
  );
}

export function getResource(state: ClusterState, info: KindInfo, name: string, namespace: string): Resource {
  const resource = findResource(state, info, name, namespace);
  if (!resource) throw notFound(resourceName(info), name);
  return resource;
}

export function lookup(state: ClusterState, kindText: string, name: string, namespace: string): Resource {
  return getResource(state, resolveKind(state, kindText), name, namespace);
}

/** Deletes like the API server plus its garbage collector: owned pods and namespace contents go too. */
export function removeResource(state: ClusterState, resource: Resource): void {
  const { info, record } = resource;
  // The record's type follows from its kind: the store keeps one collection per kind.
  if (info.kind === "Namespace") removeNamespace(state, record.name);
  else if (info.kind === "Node") removeNode(state, record.name);
  else if (info.kind === "Pod") removeOwnedPod(state, record as Pod);
  else if (info.kind === "Event") state.events = state.events.filter((event) => event !== record);
  else if (isWorkloadKind(info.kind)) removeWorkload(state, record as Workload);
  else state.objects = state.objects.filter((object) => object !== record);
}

function removeNode(state: ClusterState, name: string): void {
  state.nodes.delete(name);
  for (const pod of state.pods.filter((candidate) => candidate.nodeName === name)) removePod(state, pod);
  for (const workload of state.workloads) reconcile(state, workload);
}

function removeWorkload(state: ClusterState, workload: Workload): void {
  state.workloads = state.workloads.filter((candidate) => candidate !== workload);
  state.pods = state.pods.filter(
    (pod) => pod.owner?.name !== workload.name || pod.owner.kind !== workload.kind,
  );
}

/** A deleted pod that a controller owns comes back under a new name (or the same one, for a StatefulSet). */
function removeOwnedPod(state: ClusterState, pod: Pod): void {
  removePod(state, pod);
  const owner = state.workloads.find(
    (workload) =>
      workload.namespace === pod.namespace &&
      workload.kind === pod.owner?.kind &&
      workload.name === pod.owner.name,
  );
  if (owner) reconcile(state, owner);
}

function removeNamespace(state: ClusterState, name: string): void {
  if (PROTECTED_NAMESPACES.has(name)) {
    throw new ClusterError(
      "Forbidden",
      `namespaces "${name}" is forbidden: this namespace may not be deleted`,
    );
  }
  state.namespaces.delete(name);
  state.workloads = state.workloads.filter((workload) => workload.namespace !== name);
  state.pods = state.pods.filter((pod) => pod.namespace !== name);
  state.objects = state.objects.filter((object) => object.namespace !== name);
  state.events = state.events.filter((event) => event.namespace !== name);
}

export function requireNamespace(state: ClusterState, name: string): Namespace {
  const namespace = state.namespaces.get(name);
  if (!namespace) throw notFound("namespaces", name);
  return namespace;
}

export function requireNode(state: ClusterState, name: string): Node {
  const node = state.nodes.get(name);
  if (!node) throw notFound("nodes", name);
  return node;
}

export function requireWorkload(
  state: ClusterState,
  kindText: string,
  namespace: string,
  name: string,
): Workload {
  const info = resolveKind(state, kindText);
  if (!isWorkloadKind(info.kind)) {
    throw new ClusterError(
      "Invalid",
      `unsupported resource type "${kindText}": expected deployment, statefulset or daemonset`,
    );
  }
  requireNamespace(state, namespace);
  return getResource(state, info, name, namespace).record as Workload;
}

/** A pod by name; without a namespace, the one pod of that name in any namespace. */
export function requirePod(state: ClusterState, name: string, namespace: string | undefined): Pod {
  const matches = state.pods.filter(
    (pod) => pod.name === name && (namespace === undefined || pod.namespace === namespace),
  );
  const pod = matches[0];
  if (!pod) throw notFound("pods", name);
  if (matches.length > 1) {
    throw new ClusterError("Invalid", `pod "${name}" exists in several namespaces; give the namespace`);
  }
  return pod;
}

/** Equality-based label selectors: "app=web,tier!=cache,release" (kubectl's -l subset). */
export function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector?.trim()) return true;
  return selector.split(",").every((term) => {
    const clause = term.trim();
    const notEquals = /^([^!=]+)!=(.*)$/.exec(clause);
    if (notEquals) return labels[notEquals[1]?.trim() ?? ""] !== notEquals[2]?.trim();
    const equals = /^([^=]+)==?(.*)$/.exec(clause);
    if (equals) return labels[equals[1]?.trim() ?? ""] === equals[2]?.trim();
    if (clause.startsWith("!")) return !(clause.slice(1) in labels);
    return clause in labels;
  });
}
