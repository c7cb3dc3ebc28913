/** `kubectl describe` text: the human summary, with the object's recent events at the end. */
import { stringify } from "yaml";
import { eventsIn } from "./events.js";
import type {
  ClusterState,
  ContainerSpec,
  Node,
  ObjectMeta,
  Pod,
  StoredObject,
  StringMap,
  Workload,
} from "./model.js";
import { podStatusText } from "./pods.js";
import { age, iso } from "./quantity.js";
import { rolloutStatus } from "./rollout.js";
import { isWorkloadKind, type Resource } from "./store.js";

const WIDTH = 18;

function field(name: string, value: string | number, indent = ""): string {
  const label = `${name}:`;
  return `${indent}${label.padEnd(Math.max(label.length + 1, WIDTH - indent.length))}${value}`;
}

function mapField(name: string, map: StringMap, indent = ""): string[] {
  const entries = Object.entries(map).map(([key, value]) => `${key}=${value}`);
  if (entries.length === 0) return [field(name, "<none>", indent)];
  const pad = " ".repeat(WIDTH);
  return [field(name, entries[0] ?? "", indent), ...entries.slice(1).map((entry) => `${pad}${entry}`)];
}

function header(record: ObjectMeta, namespace?: string): string[] {
  return [
    field("Name", record.name),
    ...(namespace ? [field("Namespace", namespace)] : []),
    field("CreationTimestamp", iso(record.createdAt)),
    ...mapField("Labels", record.labels),
    ...mapField("Annotations", record.annotations),
  ];
}

function eventLines(state: ClusterState, namespace: string, objects: string[]): string[] {
  const now = state.clock();
  const events = eventsIn(state, namespace).filter((event) => objects.includes(event.object));
  if (events.length === 0) return ["Events:            <none>"];
  return [
    "Events:",
    "  Type     Reason             Age   Message",
    "  ----     ------             ----  -------",
    ...events.map(
      (event) =>
        `  ${event.type.padEnd(8)} ${event.reason.padEnd(18)} ${age(event.lastSeen, now).padEnd(5)} ${event.message}`,
    ),
  ];
}

function containerLines(container: ContainerSpec, pod?: Pod): string[] {
  const status = pod?.statuses.find((candidate) => candidate.name === container.name);
  const lines = [`  ${container.name}:`, field("Image", container.image, "    ")];
  if (container.ports.length > 0)
    lines.push(field("Port", container.ports.map((port) => `${port}/TCP`).join(", "), "    "));
  if (status) {
    lines.push(field("State", status.waitingReason ? "Waiting" : "Running", "    "));
    if (status.waitingReason) lines.push(field("Reason", status.waitingReason, "      "));
    lines.push(
      field("Ready", status.ready ? "True" : "False", "    "),
      field("Restart Count", status.restarts, "    "),
    );
  }
  for (const [title, values] of [
    ["Limits", container.limits],
    ["Requests", container.requests],
  ] as const) {
    if (Object.keys(values).length === 0) continue;
    lines.push(`    ${title}:`, ...Object.entries(values).map(([key, value]) => `      ${key}:  ${value}`));
  }
  const env = Object.entries(container.env);
  lines.push(
    `    Environment:${env.length === 0 ? "  <none>" : ""}`,
    ...env.map(([key, value]) => `      ${key}:  ${value}`),
  );
  return lines;
}

function describePod(state: ClusterState, pod: Pod): string[] {
  const owner =
    pod.owner &&
    (pod.owner.kind === "Deployment"
      ? `ReplicaSet/${pod.owner.name}-${pod.templateHash}`
      : `${pod.owner.kind}/${pod.owner.name}`);
  return [
    ...header(pod, pod.namespace),
    field("Node", pod.nodeName || "<none>"),
    field("Status", podStatusText(pod)),
    field("IP", pod.ip || "<none>"),
    field("Controlled By", owner ?? "<none>"),
    "Containers:",
    ...pod.containers.flatMap((container) => containerLines(container, pod)),
    ...eventLines(state, pod.namespace, [`pod/${pod.name}`]),
  ];
}

function describeWorkload(state: ClusterState, workload: Workload): string[] {
  const status = rolloutStatus(state, workload);
  const selector = Object.entries(workload.selector)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  return [
    ...header(workload, workload.namespace),
    field("Selector", selector),
    field(
      "Replicas",
      `${status.desired} desired | ${status.updated} updated | ${status.current} total | ${status.ready} available | ${status.desired - status.ready} unavailable`,
    ),
    field("Paused", workload.paused ? "true" : "false"),
    field("Revision", workload.revisions.at(-1)?.number ?? 1),
    "Pod Template:",
    ...mapField("  Labels", workload.template.labels),
    "  Containers:",
    ...workload.template.containers.flatMap((container) =>
      containerLines(container).map((line) => `  ${line}`),
    ),
    field("Rollout", status.message),
    ...eventLines(state, workload.namespace, [`${workload.kind.toLowerCase()}/${workload.name}`]),
  ];
}

function describeNode(state: ClusterState, node: Node): string[] {
  const pods = state.pods.filter((pod) => pod.nodeName === node.name);
  const taints = node.taints.map(
    (taint) => `${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`,
  );
  return [
    ...header(node),
    field("Roles", node.roles.join(",") || "<none>"),
    field("Taints", taints.join(", ") || "<none>"),
    field("Unschedulable", String(node.unschedulable)),
    "Addresses:",
    field("InternalIP", node.internalIP, "  "),
    field("Hostname", node.name, "  "),
    "Capacity:",
    field("cpu", node.capacity.cpuMillis / 1000, "  "),
    field("memory", `${node.capacity.memoryMi}Mi`, "  "),
    field("pods", node.capacity.pods, "  "),
    field("Kubelet Version", node.kubeletVersion),
    `Non-terminated Pods:  (${pods.length} in total)`,
    ...pods.map((pod) => `  ${pod.namespace.padEnd(28)} ${pod.name}`),
  ];
}

function describeStored(object: StoredObject): string[] {
  const { status, ...rest } = object.body;
  const body = stringify(status === undefined ? rest : { ...rest, status }).trimEnd();
  return [...header(object, object.namespace), ...body.split("\n")];
}

export function describe(state: ClusterState, resource: Resource): string {
  const { info, record, namespace } = resource;
  // The record's type follows from its kind: the store keeps one collection per kind.
  let lines: string[];
  if (info.kind === "Pod") lines = describePod(state, record as Pod);
  else if (isWorkloadKind(info.kind)) lines = describeWorkload(state, record as Workload);
  else if (info.kind === "Node") lines = describeNode(state, record as Node);
  else if (info.kind === "Namespace") lines = [...header(record), field("Status", "Active")];
  else if (info.kind === "Event") lines = [...header(record, namespace), stringify(record).trimEnd()];
  else lines = describeStored(record as StoredObject);
  return lines.join("\n");
}
