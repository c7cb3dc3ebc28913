/**
 * Resource kinds and the many ways tools and kubectl name them ("deploy", "deployments.apps", "Pod").
 * Custom kinds come from the cluster's CustomResourceDefinitions, as discovery would give them.
 */
import { ClusterError } from "./errors.js";
import type { ClusterState, StoredObject } from "./model.js";

export interface KindInfo {
  kind: string;
  plural: string;
  shortNames: string[];
  apiVersion: string;
  namespaced: boolean;
}

const kind = (
  name: string,
  apiVersion: string,
  namespaced: boolean,
  shortNames: string[] = [],
  plural = `${name.toLowerCase()}s`,
): KindInfo => ({ kind: name, plural, shortNames, apiVersion, namespaced });

export const BUILTIN_KINDS: readonly KindInfo[] = [
  kind("Namespace", "v1", false, ["ns"]),
  kind("Node", "v1", false, ["no"]),
  kind("Pod", "v1", true, ["po"]),
  kind("Service", "v1", true, ["svc"]),
  kind("ConfigMap", "v1", true, ["cm"]),
  kind("Secret", "v1", true),
  kind("ServiceAccount", "v1", true, ["sa"]),
  kind("Event", "v1", true, ["ev"]),
  kind("PersistentVolumeClaim", "v1", true, ["pvc"]),
  kind("PersistentVolume", "v1", false, ["pv"]),
  kind("Deployment", "apps/v1", true, ["deploy"]),
  kind("StatefulSet", "apps/v1", true, ["sts"]),
  kind("DaemonSet", "apps/v1", true, ["ds"]),
  kind("Job", "batch/v1", true),
  kind("CronJob", "batch/v1", true, ["cj"]),
  kind("HorizontalPodAutoscaler", "autoscaling/v2", true, ["hpa"]),
  kind("Ingress", "networking.k8s.io/v1", true, ["ing"], "ingresses"),
  kind("NetworkPolicy", "networking.k8s.io/v1", true, ["netpol"], "networkpolicies"),
  kind("StorageClass", "storage.k8s.io/v1", false, ["sc"], "storageclasses"),
  kind("Role", "rbac.authorization.k8s.io/v1", true),
  kind("ClusterRole", "rbac.authorization.k8s.io/v1", false),
  kind("RoleBinding", "rbac.authorization.k8s.io/v1", true),
  kind("ClusterRoleBinding", "rbac.authorization.k8s.io/v1", false),
  kind("CustomResourceDefinition", "apiextensions.k8s.io/v1", false, ["crd", "crds"]),
];

/** How kubectl prints a resource type in messages: "deployments.apps", "pods". */
export function resourceName(info: KindInfo): string {
  const slash = info.apiVersion.indexOf("/");
  return slash < 0 ? info.plural : `${info.plural}.${info.apiVersion.slice(0, slash)}`;
}

function names(info: KindInfo): string[] {
  return [info.kind.toLowerCase(), info.plural, ...info.shortNames];
}

export function customKinds(state: ClusterState): KindInfo[] {
  return state.objects.filter((object) => object.kind === "CustomResourceDefinition").flatMap(crdKind);
}

function crdKind(crd: StoredObject): KindInfo[] {
  const spec = crd.body.spec as CrdSpec | undefined;
  const version = spec?.versions?.[0]?.name;
  if (!spec?.names?.kind || !spec.names.plural || !spec.group || !version) return [];
  return [
    {
      kind: spec.names.kind,
      plural: spec.names.plural,
      shortNames: spec.names.shortNames ?? [],
      apiVersion: `${spec.group}/${version}`,
      namespaced: spec.scope !== "Cluster",
    },
  ];
}

// The part of a CRD manifest discovery reads; the rest of the CRD is kept but not interpreted.
interface CrdSpec {
  group?: string;
  scope?: string;
  names?: { kind?: string; plural?: string; shortNames?: string[] };
  versions?: { name?: string }[];
}

function findKind(state: ClusterState, text: string): KindInfo | undefined {
  const wanted = text.trim().toLowerCase();
  // "deployments.apps" and "deployments.v1.apps" name the group after the first dot.
  const [base = wanted, ...groupParts] = wanted.split(".");
  const group = groupParts.filter((part) => !/^v\d/.test(part)).join(".");
  return [...BUILTIN_KINDS, ...customKinds(state)].find(
    (info) => names(info).includes(base) && (group === "" || info.apiVersion.startsWith(`${group}/`)),
  );
}

export function resolveKind(state: ClusterState, text: string): KindInfo {
  const info = findKind(state, text);
  if (!info) {
    throw new ClusterError("Invalid", `the server doesn't have a resource type "${text}"`);
  }
  return info;
}

/** For manifests: the kind must exist and the apiVersion must match what the cluster serves. */
export function kindForManifest(state: ClusterState, apiVersion: string, kindName: string): KindInfo {
  const info = [...BUILTIN_KINDS, ...customKinds(state)].find(
    (candidate) => candidate.kind === kindName && candidate.apiVersion === apiVersion,
  );
  if (!info) {
    throw new ClusterError(
      "NotFound",
      `no matches for kind "${kindName}" in version "${apiVersion}" (ensure CRDs are installed first)`,
    );
  }
  return info;
}
