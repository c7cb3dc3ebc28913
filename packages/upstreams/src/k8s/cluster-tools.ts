/** Contexts, namespaces and what discovery tells about each cluster. */
import { keyValues, text } from "../args.js";
import { applyManifest } from "../cluster/apply.js";
import { BUILTIN_KINDS, customKinds, type KindInfo } from "../cluster/kinds.js";
import type { StoredObject } from "../cluster/model.js";
import { iso } from "../cluster/quantity.js";
import { getResource, removeResource } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import { stateOf } from "./common.js";

const NAMESPACE_KIND = BUILTIN_KINDS.find((info) => info.kind === "Namespace") as KindInfo;

function groupsOf(kinds: KindInfo[]) {
  const groups = new Map<string, Set<string>>();
  for (const info of kinds) {
    const [group, version] = info.apiVersion.includes("/")
      ? info.apiVersion.split("/")
      : ["", info.apiVersion];
    const versions = groups.get(group ?? "") ?? new Set<string>();
    versions.add(version ?? "v1");
    groups.set(group ?? "", versions);
  }
  return [...groups].map(([group, versions]) => ({
    group: group || "core",
    versions: [...versions],
    preferredVersion: [...versions][0],
  }));
}

export function clusterTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  return {
    k8s_get_contexts: () =>
      jsonResult(
        cluster.contexts().map((context) => ({
          name: context.name,
          cluster: context.cluster,
          user: context.user,
          namespace: "default",
          current: context.current,
        })),
      ),

    k8s_get_namespaces: (args) => jsonResult([...stateOf(cluster, args).namespaces.keys()].sort()),

    k8s_create_ns: (args) => {
      const state = stateOf(cluster, args);
      const name = text(args, "name");
      const manifest = {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name,
          labels: { "kubernetes.io/metadata.name": name, ...keyValues(args, "labels") },
          annotations: keyValues(args, "annotations"),
        },
      };
      applyManifest(state, manifest, { mode: "create" });
      const namespace = getResource(state, NAMESPACE_KIND, name, "").record;
      return jsonResult({
        name,
        status: "Active",
        labels: namespace.labels,
        annotations: namespace.annotations,
        creation_timestamp: iso(namespace.createdAt),
        message: `namespace/${name} created`,
      });
    },

    k8s_delete_ns: (args) => {
      const state = stateOf(cluster, args);
      const name = text(args, "name");
      removeResource(state, getResource(state, NAMESPACE_KIND, name, ""));
      return jsonResult({ name, status: "Terminating", message: `namespace "${name}" deleted` });
    },

    k8s_cluster_info: (args) => {
      const state = stateOf(cluster, args);
      const phases = state.pods.reduce<Record<string, number>>((counts, pod) => {
        counts[pod.phase] = (counts[pod.phase] ?? 0) + 1;
        return counts;
      }, {});
      return jsonResult({
        context: state.context,
        cluster: state.clusterName,
        server: state.server,
        version: { gitVersion: state.version, platform: "linux/amd64" },
        region: state.region,
        nodes: state.nodes.size,
        namespaces: state.namespaces.size,
        pods: phases,
        coredns: `${state.server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy`,
      });
    },

    k8s_apis: (args) => {
      const state = stateOf(cluster, args);
      return jsonResult(groupsOf([...BUILTIN_KINDS, ...customKinds(state)]));
    },

    k8s_crds: (args) => {
      const state = stateOf(cluster, args);
      const crds = state.objects.filter((object) => object.kind === "CustomResourceDefinition");
      return jsonResult(crds.map(crdSummary));
    },
  };
}

function crdSummary(crd: StoredObject) {
  const spec = crd.body.spec as {
    group?: string;
    scope?: string;
    names?: { kind?: string };
    versions?: { name?: string }[];
  };
  return {
    name: crd.name,
    group: spec.group,
    kind: spec.names?.kind,
    scope: spec.scope,
    versions: (spec.versions ?? []).map((version) => version.name),
    created_at: iso(crd.createdAt),
  };
}
