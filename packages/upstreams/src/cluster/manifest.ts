/** Records as the API server would return them (`kubectl get -o json`). */
import type { KindInfo } from "./kinds.js";
import type {
  ClusterState,
  ContainerSpec,
  KubeEvent,
  Node,
  ObjectMeta,
  Pod,
  StoredObject,
  StringMap,
  Workload,
} from "./model.js";
import { isReady, ownedPods } from "./pods.js";
import { iso } from "./quantity.js";
import { desiredReplicas, rolloutStatus } from "./rollout.js";
import type { Resource } from "./store.js";

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown>;
};

function nonEmpty(map: StringMap): StringMap | undefined {
  return Object.keys(map).length > 0 ? { ...map } : undefined;
}

function metadataOf(record: ObjectMeta, namespace?: string, extra: Record<string, unknown> = {}) {
  return {
    name: record.name,
    namespace,
    uid: record.uid,
    creationTimestamp: iso(record.createdAt),
    labels: nonEmpty(record.labels),
    annotations: nonEmpty(record.annotations),
    ...extra,
  };
}

export function toManifest(state: ClusterState, resource: Resource): Manifest {
  const { info, record, namespace } = resource;
  const head = { apiVersion: info.apiVersion, kind: info.kind };
  switch (info.kind) {
    case "Namespace":
      return {
        ...head,
        metadata: metadataOf(record),
        spec: { finalizers: ["kubernetes"] },
        status: { phase: "Active" },
      };
    case "Node":
      return { ...head, ...nodeManifest(record as Node) };
    case "Pod":
      return { ...head, ...podManifest(record as Pod) };
    case "Event":
      return { ...head, ...eventManifest(record as KubeEvent) };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
      return { ...head, ...workloadManifest(state, record as Workload) };
    default:
      return {
        ...head,
        metadata: metadataOf(record, namespace),
        ...(record as StoredObject).body,
      } as Manifest;
  }
}

function containerManifest(container: ContainerSpec) {
  const env = Object.entries(container.env).map(([name, value]) => ({ name, value }));
  return {
    name: container.name,
    image: container.image,
    ports:
      container.ports.length > 0 ? container.ports.map((containerPort) => ({ containerPort })) : undefined,
    env: env.length > 0 ? env : undefined,
    resources: { requests: nonEmpty(container.requests), limits: nonEmpty(container.limits) },
  };
}

function workloadManifest(state: ClusterState, workload: Workload) {
  const status = rolloutStatus(state, workload);
  const ready = ownedPods(state, workload).filter(isReady).length;
  const revision = String(workload.revisions.at(-1)?.number ?? 1);
  return {
    metadata: metadataOf(workload, workload.namespace, {
      generation: workload.generation,
      annotations: { ...workload.annotations, "deployment.kubernetes.io/revision": revision },
    }),
    spec: {
      replicas: workload.kind === "DaemonSet" ? undefined : workload.replicas,
      paused: workload.paused || undefined,
      selector: { matchLabels: { ...workload.selector } },
      template: {
        metadata: {
          labels: { ...workload.template.labels },
          annotations: nonEmpty(workload.template.annotations),
        },
        spec: { containers: workload.template.containers.map(containerManifest) },
      },
    },
    status: {
      observedGeneration: workload.generation,
      replicas: status.current,
      updatedReplicas: status.updated,
      readyReplicas: ready,
      availableReplicas: ready,
      desiredReplicas: desiredReplicas(state, workload),
      conditions: [
        {
          type: "Available",
          status: ready >= status.desired ? "True" : "False",
          reason: ready >= status.desired ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        },
        {
          type: "Progressing",
          status: workload.paused ? "Unknown" : "True",
          reason: workload.paused
            ? "DeploymentPaused"
            : status.complete
              ? "NewReplicaSetAvailable"
              : "ReplicaSetUpdated",
        },
      ],
    },
  };
}

function podManifest(pod: Pod) {
  const owner = pod.owner && {
    apiVersion: "apps/v1",
    kind: pod.owner.kind === "Deployment" ? "ReplicaSet" : pod.owner.kind,
    name: pod.owner.kind === "Deployment" ? `${pod.owner.name}-${pod.templateHash}` : pod.owner.name,
    controller: true,
  };
  return {
    metadata: metadataOf(pod, pod.namespace, { ownerReferences: owner ? [owner] : undefined }),
    spec: {
      nodeName: pod.nodeName || undefined,
      containers: pod.containers.map(containerManifest),
      restartPolicy: "Always",
    },
    status: {
      phase: pod.phase,
      podIP: pod.ip || undefined,
      startTime: iso(pod.createdAt),
      containerStatuses: pod.statuses.map((status) => ({
        name: status.name,
        image: status.image,
        ready: status.ready,
        restartCount: status.restarts,
        state: status.waitingReason
          ? { waiting: { reason: status.waitingReason } }
          : { running: { startedAt: iso(pod.createdAt) } },
      })),
    },
  };
}

function nodeManifest(node: Node) {
  return {
    metadata: metadataOf(node),
    spec: {
      unschedulable: node.unschedulable || undefined,
      taints: node.taints.length > 0 ? node.taints : undefined,
    },
    status: {
      capacity: {
        cpu: String(node.capacity.cpuMillis / 1000),
        memory: `${node.capacity.memoryMi * 1024}Ki`,
        pods: String(node.capacity.pods),
      },
      addresses: [
        { type: "InternalIP", address: node.internalIP },
        { type: "Hostname", address: node.name },
      ],
      conditions: [
        { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
      ],
      nodeInfo: {
        kubeletVersion: node.kubeletVersion,
        osImage: "Bottlerocket OS 1.20.3 (aws-k8s-1.30)",
        containerRuntimeVersion: "containerd://1.7.20",
        architecture: "amd64",
      },
    },
  };
}

function eventManifest(event: KubeEvent) {
  const [kind = "", name = ""] = event.object.split("/");
  return {
    metadata: metadataOf(event, event.namespace),
    involvedObject: { kind: kind.charAt(0).toUpperCase() + kind.slice(1), name, namespace: event.namespace },
    type: event.type,
    reason: event.reason,
    message: event.message,
    count: event.count,
    firstTimestamp: iso(event.createdAt),
    lastTimestamp: iso(event.lastSeen),
  };
}

/** "deployment.apps/web", "namespace/payments": how kubectl names an object in its output. */
export function objectRef(info: KindInfo, name: string): string {
  const slash = info.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : `.${info.apiVersion.slice(0, slash)}`;
  return `${info.kind.toLowerCase()}${group}/${name}`;
}

/** Drops what the server owns (status, uid, timestamps), leaving what a user's apply can change. */
export function userFields(manifest: Manifest): string {
  const { status: _status, metadata, ...rest } = manifest;
  const { uid: _uid, creationTimestamp: _created, generation: _generation, ...userMetadata } = metadata;
  return JSON.stringify({ ...rest, metadata: userMetadata });
}
