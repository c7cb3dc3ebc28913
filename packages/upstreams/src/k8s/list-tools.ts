/**
 * The k8s_get_* / k8s_list_* tools for RBAC, storage, network policy, jobs, secrets and config maps:
 * one handler per kind, each listing summaries. Secret values never appear in a listing.
 */
import { optionalText } from "../args.js";
import { resolveKind } from "../cluster/kinds.js";
import type { StoredObject } from "../cluster/model.js";
import { iso } from "../cluster/quantity.js";
import { listResources, matchesSelector, requireNamespace } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import { stateOf } from "./common.js";

type Summary = (object: StoredObject) => Record<string, unknown>;

const field =
  (...keys: string[]): Summary =>
  (object) =>
    Object.fromEntries(keys.map((key) => [key, object.body[key]]));

const spec = (object: StoredObject) => (object.body.spec ?? {}) as Record<string, unknown>;
const status = (object: StoredObject) => (object.body.status ?? {}) as Record<string, unknown>;
const keysOf = (value: unknown) => Object.keys((value ?? {}) as Record<string, unknown>).sort();

const LISTINGS: Record<string, { kind: string; summary: Summary }> = {
  k8s_get_roles: { kind: "Role", summary: field("rules") },
  k8s_get_clusterroles: { kind: "ClusterRole", summary: field("rules") },
  k8s_get_rolebindings: { kind: "RoleBinding", summary: field("roleRef", "subjects") },
  k8s_get_clusterrolebindings: { kind: "ClusterRoleBinding", summary: field("roleRef", "subjects") },
  k8s_get_service_accounts: { kind: "ServiceAccount", summary: () => ({}) },
  k8s_get_storage_classes: {
    kind: "StorageClass",
    summary: (object) => ({
      provisioner: object.body.provisioner,
      reclaim_policy: object.body.reclaimPolicy,
      volume_binding_mode: object.body.volumeBindingMode,
      is_default: object.annotations["storageclass.kubernetes.io/is-default-class"] === "true",
    }),
  },
  k8s_get_pvcs: {
    kind: "PersistentVolumeClaim",
    summary: (object) => ({
      status: status(object).phase,
      volume: spec(object).volumeName,
      capacity: (status(object).capacity as Record<string, unknown> | undefined)?.storage,
      access_modes: spec(object).accessModes,
      storage_class: spec(object).storageClassName,
    }),
  },
  k8s_get_pvs: {
    kind: "PersistentVolume",
    summary: (object) => ({
      capacity: (spec(object).capacity as Record<string, unknown> | undefined)?.storage,
      status: status(object).phase,
      claim: spec(object).claimRef,
      storage_class: spec(object).storageClassName,
      reclaim_policy: spec(object).persistentVolumeReclaimPolicy,
    }),
  },
  k8s_get_network_policies: {
    kind: "NetworkPolicy",
    summary: (object) => ({ pod_selector: spec(object).podSelector, policy_types: spec(object).policyTypes }),
  },
  k8s_get_jobs: {
    kind: "Job",
    summary: (object) => ({
      completions: spec(object).completions,
      succeeded: status(object).succeeded ?? 0,
      start_time: status(object).startTime,
      completion_time: status(object).completionTime,
    }),
  },
  k8s_get_cronjobs: {
    kind: "CronJob",
    summary: (object) => ({
      schedule: spec(object).schedule,
      suspend: spec(object).suspend ?? false,
      last_schedule_time: status(object).lastScheduleTime,
    }),
  },
  k8s_list_secret: {
    kind: "Secret",
    summary: (object) => ({ type: object.body.type, keys: keysOf(object.body.data) }),
  },
  k8s_list_configmap: { kind: "ConfigMap", summary: (object) => ({ keys: keysOf(object.body.data) }) },
};

export function listTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  const handlers: Record<string, ToolHandler> = {};
  for (const [tool, listing] of Object.entries(LISTINGS)) {
    handlers[tool] = (args) => {
      const state = stateOf(cluster, args);
      const info = resolveKind(state, listing.kind);
      const namespace = info.namespaced ? optionalText(args, "namespace") : undefined;
      if (namespace) requireNamespace(state, namespace);
      const selector = optionalText(args, "label_selector");
      const objects = listResources(state, info, namespace)
        .map((resource) => resource.record as StoredObject)
        .filter((object) => matchesSelector(object.labels, selector));
      return jsonResult(
        objects.map((object) => ({
          name: object.name,
          ...(info.namespaced ? { namespace: object.namespace } : {}),
          labels: object.labels,
          creation_timestamp: iso(object.createdAt),
          ...listing.summary(object),
        })),
      );
    };
  }
  return handlers;
}
