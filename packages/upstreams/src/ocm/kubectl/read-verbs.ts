/** kubectl verbs that only read: get, describe, logs, top, version, cluster-info. */
import { stringify } from "yaml";
import { describe } from "../../cluster/describe.js";
import { type KindInfo, resolveKind } from "../../cluster/kinds.js";
import { podLogs } from "../../cluster/logs.js";
import { objectRef, toManifest } from "../../cluster/manifest.js";
import { nodeUsage, podUsage } from "../../cluster/metrics.js";
import type { ClusterState } from "../../cluster/model.js";
import { durationMs } from "../../cluster/quantity.js";
import {
  getResource,
  listResources,
  matchesSelector,
  type Resource,
  requirePod,
} from "../../cluster/store.js";
import { type KubectlCommand, typeAndNames, UsageError } from "./parse.js";
import { renderTable } from "./tables.js";

export type Verb = (state: ClusterState, command: KubectlCommand) => string;

// What `kubectl get all` covers.
const ALL_KINDS = ["pods", "services", "daemonsets", "deployments", "statefulsets"];

export function namespaceFlag(command: KubectlCommand): string | undefined {
  return command.flags.has("all-namespaces") ? undefined : (command.flags.get("namespace") ?? "default");
}

/** The objects a get/describe names: by name, or all of the kind matching -l. */
function select(state: ClusterState, command: KubectlCommand, info: KindInfo, names: string[]): Resource[] {
  const namespace = namespaceFlag(command);
  if (names.length > 0) return names.map((name) => getResource(state, info, name, namespace ?? "default"));
  const selector = command.flags.get("selector");
  return listResources(state, info, namespace).filter((resource) =>
    matchesSelector(resource.record.labels, selector),
  );
}

function noneFound(command: KubectlCommand, info?: KindInfo): string {
  const namespace = namespaceFlag(command);
  return namespace && info?.namespaced !== false
    ? `No resources found in ${namespace} namespace.`
    : "No resources found";
}

interface Shape {
  /** One object asked for by name prints bare; otherwise a List. */
  single: boolean;
  /** Several kinds in one get name each row kind/name. */
  qualify: boolean;
}

function formatted(
  state: ClusterState,
  command: KubectlCommand,
  resources: Resource[],
  shape: Shape,
): string {
  const output = command.flags.get("output") ?? "";
  if (output === "name")
    return resources.map((resource) => objectRef(resource.info, resource.record.name)).join("\n");
  if (output === "yaml" || output === "json") {
    const manifests = resources.map((resource) => toManifest(state, resource));
    const value =
      shape.single && manifests.length === 1
        ? manifests[0]
        : { apiVersion: "v1", kind: "List", items: manifests };
    return output === "json" ? JSON.stringify(value, null, 4) : stringify(value).trimEnd();
  }
  return renderTable(state, resources, {
    wide: output === "wide",
    withNamespace: !namespaceFlag(command),
    qualify: shape.qualify,
  });
}

const OUTPUTS = new Set(["", "wide", "name", "yaml", "json"]);

const get: Verb = (state, command) => {
  const { type, names } = typeAndNames(command.words);
  if (!type) throw new UsageError("You must specify the type of resource to get.");
  const output = command.flags.get("output") ?? "";
  if (!OUTPUTS.has(output)) {
    throw new UsageError(
      `unable to match a printer suitable for the output format "${output}", allowed formats are: json,name,wide,yaml`,
    );
  }
  const types = type === "all" ? ALL_KINDS : type.split(",");
  const sections = types.map((text) => {
    const info = resolveKind(state, text);
    const resources = select(state, command, info, names);
    if (resources.length === 0) return "";
    return formatted(state, command, resources, { single: names.length === 1, qualify: types.length > 1 });
  });
  const text = sections.filter((section) => section !== "").join("\n\n");
  return text || noneFound(command);
};

const describeVerb: Verb = (state, command) => {
  const { type, names } = typeAndNames(command.words);
  if (!type) throw new UsageError("You must specify the type of resource to describe.");
  const info = resolveKind(state, type);
  const resources = select(state, command, info, names);
  if (resources.length === 0) return noneFound(command, info);
  return resources.map((resource) => describe(state, resource)).join("\n\n\n");
};

const logs: Verb = (state, command) => {
  const { type, names } = typeAndNames(command.words);
  const podName = names[0] ?? (type.includes("/") ? undefined : type);
  if (!podName) throw new UsageError("expected POD or TYPE/NAME is a required argument for the logs command");
  const pod = requirePod(state, podName, namespaceFlag(command) ?? "default");
  const since = command.flags.get("since");
  const text = podLogs(state, pod, {
    container: command.flags.get("container"),
    previous: command.flags.has("previous"),
    sinceMs: since ? durationMs(since) : undefined,
  });
  const tail = Number(command.flags.get("tail") ?? -1);
  return tail >= 0 ? text.split("\n").slice(-tail).join("\n") : text;
};

const top: Verb = (state, command) => {
  const [what = ""] = command.words;
  if (what === "node" || what === "nodes" || what === "no") {
    const rows = [...state.nodes.values()].map((node) => {
      const usage = nodeUsage(state, node);
      const cpu = Math.round((usage.cpuMillis / node.capacity.cpuMillis) * 100);
      const memory = Math.round((usage.memoryMi / node.capacity.memoryMi) * 100);
      return `${node.name.padEnd(48)} ${`${usage.cpuMillis}m`.padEnd(12)} ${`${cpu}%`.padEnd(6)} ${`${usage.memoryMi}Mi`.padEnd(14)} ${memory}%`;
    });
    return [
      `${"NAME".padEnd(48)} ${"CPU(cores)".padEnd(12)} ${"CPU%".padEnd(6)} ${"MEMORY(bytes)".padEnd(14)} MEMORY%`,
      ...rows,
    ].join("\n");
  }
  if (what === "pod" || what === "pods" || what === "po") {
    const namespace = namespaceFlag(command);
    const pods = state.pods.filter((pod) => namespace === undefined || pod.namespace === namespace);
    if (pods.length === 0) return noneFound(command);
    const rows = pods.map((pod) => {
      const usage = podUsage(pod);
      return `${pod.name.padEnd(44)} ${`${usage.cpuMillis}m`.padEnd(12)} ${usage.memoryMi}Mi`;
    });
    return [`${"NAME".padEnd(44)} ${"CPU(cores)".padEnd(12)} MEMORY(bytes)`, ...rows].join("\n");
  }
  throw new UsageError(`unknown command "${what}" for "kubectl top"`);
};

const version: Verb = (state) =>
  `Client Version: v1.30.2\nKustomize Version: v5.0.4-0.20230601165947-6ce0bf390ce3\nServer Version: ${state.version}`;

const clusterInfo: Verb = (state) =>
  `Kubernetes control plane is running at ${state.server}\nCoreDNS is running at ${state.server}/api/v1/namespaces/kube-system/services/kube-dns:dns/proxy`;

export const READ_VERBS: Record<string, Verb> = {
  get,
  describe: describeVerb,
  logs,
  top,
  version,
  "cluster-info": clusterInfo,
};
