/** Reading state: get, describe, logs, events and metrics. None of these change the cluster. */

import { flag, optionalInteger, optionalText, text } from "../args.js";
import { describe } from "../cluster/describe.js";
import { invalid } from "../cluster/errors.js";
import { eventsIn } from "../cluster/events.js";
import { resolveKind } from "../cluster/kinds.js";
import { podLogs } from "../cluster/logs.js";
import { toManifest } from "../cluster/manifest.js";
import { nodeUsage, podUsage } from "../cluster/metrics.js";
import type { ClusterState } from "../cluster/model.js";
import { durationMs, iso } from "../cluster/quantity.js";
import {
  getResource,
  listResources,
  matchesSelector,
  requireNamespace,
  requirePod,
} from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult, textResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import type { ToolArguments } from "../validation.js";
import { namespaceOf, stateOf } from "./common.js";

/** kind plus optional group/version, as the tools take them ("deployments" + "apps"). */
function kindOf(state: ClusterState, args: ToolArguments) {
  const group = optionalText(args, "group");
  return resolveKind(state, group ? `${text(args, "kind")}.${group}` : text(args, "kind"));
}

function percent(part: number, whole: number): string {
  return `${Math.round((part / whole) * 100)}%`;
}

export function readTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  return {
    k8s_get_resources: (args) => {
      const state = stateOf(cluster, args);
      const info = kindOf(state, args);
      const namespace = optionalText(args, "namespace");
      if (namespace && info.namespaced) requireNamespace(state, namespace);
      const items = listResources(state, info, namespace).map((resource) => toManifest(state, resource));
      return jsonResult({ apiVersion: info.apiVersion, kind: `${info.kind}List`, items });
    },

    k8s_get_resource: (args) => {
      const state = stateOf(cluster, args);
      const resource = getResource(state, kindOf(state, args), text(args, "name"), text(args, "namespace"));
      return jsonResult(toManifest(state, resource));
    },

    k8s_describe: (args) => {
      const state = stateOf(cluster, args);
      const info = resolveKind(state, text(args, "resource_type"));
      const name = optionalText(args, "name");
      const namespace = flag(args, "all_namespaces") ? undefined : namespaceOf(args);
      if (name) return textResult(describe(state, getResource(state, info, name, namespace ?? "default")));
      const matches = listResources(state, info, namespace).filter((resource) =>
        matchesSelector(resource.record.labels, optionalText(args, "selector")),
      );
      if (matches.length === 0) {
        return textResult(
          `No resources found${namespace && info.namespaced ? ` in ${namespace} namespace` : ""}.`,
        );
      }
      return textResult(matches.map((resource) => describe(state, resource)).join("\n\n\n"));
    },

    k8s_get_pod_logs: (args) => {
      const state = stateOf(cluster, args);
      const pod = requirePod(state, text(args, "pod"), text(args, "namespace"));
      const since = optionalText(args, "sinceDuration");
      const sinceMs = since === undefined ? undefined : durationMs(since);
      if (since !== undefined && sinceMs === undefined)
        throw invalid(`invalid sinceDuration "${since}": use e.g. 30s, 5m, 1h`);
      return textResult(podLogs(state, pod, { previous: flag(args, "previousContainer"), sinceMs }));
    },

    k8s_get_events: (args) => {
      const state = stateOf(cluster, args);
      const namespace = text(args, "namespace");
      requireNamespace(state, namespace);
      const limit = optionalInteger(args, "limit") ?? 100;
      const events = eventsIn(state, namespace).slice(-Math.max(0, limit));
      return jsonResult(
        events.map((event) => ({
          type: event.type,
          reason: event.reason,
          object: event.object,
          message: event.message,
          count: event.count,
          first_timestamp: iso(event.createdAt),
          last_timestamp: iso(event.lastSeen),
        })),
      );
    },

    k8s_top_nodes: (args) => {
      const state = stateOf(cluster, args);
      return jsonResult(
        [...state.nodes.values()].map((node) => {
          const usage = nodeUsage(state, node);
          return {
            name: node.name,
            cpu: `${usage.cpuMillis}m`,
            cpu_percent: percent(usage.cpuMillis, node.capacity.cpuMillis),
            memory: `${usage.memoryMi}Mi`,
            memory_percent: percent(usage.memoryMi, node.capacity.memoryMi),
          };
        }),
      );
    },

    k8s_top_pods: (args) => {
      const state = stateOf(cluster, args);
      const namespace = optionalText(args, "namespace");
      if (namespace) requireNamespace(state, namespace);
      const pods = state.pods.filter((pod) => namespace === undefined || pod.namespace === namespace);
      return jsonResult(
        pods.map((pod) => {
          const usage = podUsage(pod);
          return {
            namespace: pod.namespace,
            name: pod.name,
            cpu: `${usage.cpuMillis}m`,
            memory: `${usage.memoryMi}Mi`,
          };
        }),
      );
    },
  };
}
