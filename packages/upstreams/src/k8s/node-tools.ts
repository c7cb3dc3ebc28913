/** Nodes: listing and maintenance (cordon, drain, taints). */
import { flag, optionalText, text } from "../args.js";
import { invalid } from "../cluster/errors.js";
import type { Node } from "../cluster/model.js";
import { addTaint, drainNode, removeTaint, setUnschedulable } from "../cluster/nodes.js";
import { age } from "../cluster/quantity.js";
import { requireNode } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import { stateOf } from "./common.js";

const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

function nodeStatus(node: Node): string {
  return node.unschedulable ? "Ready,SchedulingDisabled" : "Ready";
}

export function nodeTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  const withNode = (args: Parameters<ToolHandler>[0]) => {
    const state = stateOf(cluster, args);
    return { state, node: requireNode(state, text(args, "node_name")) };
  };

  return {
    k8s_get_nodes: (args) => {
      const state = stateOf(cluster, args);
      const now = state.clock();
      return jsonResult(
        [...state.nodes.values()].map((node) => ({
          name: node.name,
          status: nodeStatus(node),
          roles: node.roles.length > 0 ? node.roles : ["<none>"],
          age: age(node.createdAt, now),
          version: node.kubeletVersion,
          internal_ip: node.internalIP,
          taints: node.taints,
          capacity: {
            cpu: String(node.capacity.cpuMillis / 1000),
            memory: `${node.capacity.memoryMi}Mi`,
            pods: node.capacity.pods,
          },
          pods: state.pods.filter((pod) => pod.nodeName === node.name).length,
          labels: node.labels,
        })),
      );
    },

    k8s_cordon_node: (args) => {
      const { state, node } = withNode(args);
      const changed = setUnschedulable(state, node, true);
      return jsonResult({
        message: `node/${node.name} ${changed ? "cordoned" : "already cordoned"}`,
        status: nodeStatus(node),
      });
    },

    k8s_uncordon_node: (args) => {
      const { state, node } = withNode(args);
      const changed = setUnschedulable(state, node, false);
      return jsonResult({
        message: `node/${node.name} ${changed ? "uncordoned" : "already uncordoned"}`,
        status: nodeStatus(node),
      });
    },

    k8s_drain_node: (args) => {
      const { state, node } = withNode(args);
      const evicted = drainNode(state, node, {
        force: flag(args, "force"),
        ignoreDaemonSets: flag(args, "ignore_daemonsets"),
      });
      return jsonResult({
        message: `node/${node.name} drained`,
        evicted: evicted.map((pod) => `${pod.namespace}/${pod.name}`),
        status: nodeStatus(node),
      });
    },

    k8s_taint_node: (args) => {
      const { state, node } = withNode(args);
      const effect = optionalText(args, "effect") ?? "NoSchedule";
      if (!TAINT_EFFECTS.includes(effect))
        throw invalid(`invalid taint effect: ${effect}, unsupported taint effect`);
      const value = optionalText(args, "value");
      const outcome = addTaint(state, node, { key: text(args, "key"), ...(value ? { value } : {}), effect });
      return jsonResult({ message: `node/${node.name} ${outcome}`, taints: node.taints });
    },

    k8s_untaint_node: (args) => {
      const { state, node } = withNode(args);
      removeTaint(state, node, text(args, "key"), optionalText(args, "effect"));
      return jsonResult({ message: `node/${node.name} untainted`, taints: node.taints });
    },
  };
}
