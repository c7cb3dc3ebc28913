/** `kubectl get` tables: the default columns per kind, aligned as kubectl aligns them. */
import { objectRef } from "../../cluster/manifest.js";
import type { ClusterState, KubeEvent, Node, Pod, StoredObject, Workload } from "../../cluster/model.js";
import { isReady, ownedPods, podStatusText } from "../../cluster/pods.js";
import { age } from "../../cluster/quantity.js";
import { desiredReplicas, rolloutStatus } from "../../cluster/rollout.js";
import type { Resource } from "../../cluster/store.js";

type Row = Record<string, string>;

function podRow(pod: Pod, wide: boolean): Row {
  const ready = pod.statuses.filter((status) => status.ready).length;
  const restarts = pod.statuses.reduce((total, status) => total + status.restarts, 0);
  const row: Row = {
    READY: `${ready}/${pod.statuses.length}`,
    STATUS: podStatusText(pod),
    RESTARTS: String(restarts),
  };
  return wide ? { ...row, IP: pod.ip || "<none>", NODE: pod.nodeName || "<none>" } : row;
}

function workloadRow(state: ClusterState, workload: Workload): Row {
  const status = rolloutStatus(state, workload);
  const ready = ownedPods(state, workload).filter(isReady).length;
  const desired = desiredReplicas(state, workload);
  if (workload.kind === "DaemonSet") {
    return {
      DESIRED: String(desired),
      CURRENT: String(status.current),
      READY: String(ready),
      "UP-TO-DATE": String(status.updated),
      AVAILABLE: String(ready),
    };
  }
  if (workload.kind === "StatefulSet") return { READY: `${ready}/${desired}` };
  return { READY: `${ready}/${desired}`, "UP-TO-DATE": String(status.updated), AVAILABLE: String(ready) };
}

function nodeRow(node: Node, wide: boolean): Row {
  const row: Row = {
    STATUS: node.unschedulable ? "Ready,SchedulingDisabled" : "Ready",
    ROLES: node.roles.join(",") || "<none>",
  };
  return wide ? { ...row, "INTERNAL-IP": node.internalIP } : row;
}

function storedRow(object: StoredObject): Row {
  const body = object.body as {
    spec?: Record<string, unknown>;
    data?: Record<string, unknown>;
    type?: string;
  };
  if (object.kind === "Service") {
    const spec = body.spec as {
      type?: string;
      clusterIP?: string;
      ports?: { port: number; protocol?: string }[];
    };
    const ports = (spec.ports ?? []).map((port) => `${port.port}/${port.protocol ?? "TCP"}`).join(",");
    return {
      TYPE: spec.type ?? "ClusterIP",
      "CLUSTER-IP": spec.clusterIP ?? "<none>",
      "PORT(S)": ports || "<none>",
    };
  }
  if (object.kind === "ConfigMap") return { DATA: String(Object.keys(body.data ?? {}).length) };
  if (object.kind === "Secret")
    return { TYPE: body.type ?? "Opaque", DATA: String(Object.keys(body.data ?? {}).length) };
  if (object.kind === "ManagedCluster") {
    const spec = body.spec as { hubAcceptsClient?: boolean };
    return { "HUB ACCEPTED": String(spec.hubAcceptsClient ?? false) };
  }
  return {};
}

function rowOf(state: ClusterState, resource: Resource, wide: boolean): Row {
  const { info, record } = resource;
  // The record's type follows from its kind: the store keeps one collection per kind.
  if (info.kind === "Pod") return podRow(record as Pod, wide);
  if (info.kind === "Node") return nodeRow(record as Node, wide);
  if (info.kind === "Namespace") return { STATUS: "Active" };
  if (info.kind === "Deployment" || info.kind === "StatefulSet" || info.kind === "DaemonSet") {
    return workloadRow(state, record as Workload);
  }
  if (info.kind === "Event") {
    const event = record as KubeEvent;
    return { TYPE: event.type, REASON: event.reason, OBJECT: event.object, MESSAGE: event.message };
  }
  return storedRow(record as StoredObject);
}

export interface TableOptions {
  wide: boolean;
  withNamespace: boolean;
  /** Name rows kind/name, as kubectl does when one get lists several kinds. */
  qualify: boolean;
}

export function renderTable(state: ClusterState, resources: Resource[], options: TableOptions): string {
  const now = state.clock();
  const rows = resources.map(
    (resource): Row => ({
      ...(options.withNamespace ? { NAMESPACE: resource.namespace ?? "" } : {}),
      NAME: options.qualify ? objectRef(resource.info, resource.record.name) : resource.record.name,
      ...rowOf(state, resource, options.wide),
      AGE: age(resource.record.createdAt, now),
    }),
  );
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((column) =>
    Math.max(column.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd((widths[index] ?? 0) + 3)))
      .join("");
  return [line(columns), ...rows.map((row) => line(columns.map((column) => row[column] ?? "")))].join("\n");
}
