/**
 * What metrics-server would report: usage derived from each container's requests and a stable hash
 * of its name, so numbers look organic yet never change between runs.
 */
import type { ClusterState, ContainerSpec, Node, Pod } from "./model.js";
import { fnv1a } from "./names.js";
import { cpuMillis, memoryMi } from "./quantity.js";

export interface Usage {
  cpuMillis: number;
  memoryMi: number;
}

// Kubelet, container runtime and OS use part of every node before any pod does.
const SYSTEM_RESERVED: Usage = { cpuMillis: 180, memoryMi: 900 };

function containerUsage(pod: Pod, container: ContainerSpec): Usage {
  const status = pod.statuses.find((candidate) => candidate.name === container.name);
  if (pod.phase !== "Running" || !status?.ready) return { cpuMillis: 0, memoryMi: 0 };
  const spread = fnv1a(`${pod.name}/${container.name}`) % 100;
  const cpu = cpuMillis(container.requests.cpu) || 50;
  const memory = memoryMi(container.requests.memory) || 64;
  return {
    cpuMillis: Math.max(1, Math.round(cpu * (0.15 + spread / 125))),
    memoryMi: Math.max(4, Math.round(memory * (0.45 + spread / 200))),
  };
}

export function podUsage(pod: Pod): Usage {
  return pod.containers
    .map((container) => containerUsage(pod, container))
    .reduce(add, { cpuMillis: 0, memoryMi: 0 });
}

export function nodeUsage(state: ClusterState, node: Node): Usage {
  return state.pods
    .filter((pod) => pod.nodeName === node.name)
    .map(podUsage)
    .reduce(add, SYSTEM_RESERVED);
}

function add(a: Usage, b: Usage): Usage {
  return { cpuMillis: a.cpuMillis + b.cpuMillis, memoryMi: a.memoryMi + b.memoryMi };
}
