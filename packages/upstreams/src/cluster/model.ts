/**
 * The simulated cluster's records: what kubectl would show, trimmed to what the fixture tools read or
 * change. Workloads, pods, nodes, namespaces and events are typed because the tools act on their
 * fields; every other kind is kept as its manifest (StoredObject).
 */

export type StringMap = Record<string, string>;

export interface ObjectMeta {
  name: string;
  uid: string;
  labels: StringMap;
  annotations: StringMap;
  /** Epoch milliseconds from the cluster's clock, never the wall clock. */
  createdAt: number;
}

export type Namespace = ObjectMeta;

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export interface Node extends ObjectMeta {
  roles: string[];
  kubeletVersion: string;
  internalIP: string;
  unschedulable: boolean;
  taints: Taint[];
  capacity: { cpuMillis: number; memoryMi: number; pods: number };
}

export interface ContainerSpec {
  name: string;
  image: string;
  ports: number[];
  env: StringMap;
  requests: StringMap;
  limits: StringMap;
}

export interface PodTemplate {
  labels: StringMap;
  annotations: StringMap;
  containers: ContainerSpec[];
}

export const WORKLOAD_KINDS = ["Deployment", "StatefulSet", "DaemonSet"] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export interface Revision {
  number: number;
  template: PodTemplate;
  changeCause: string;
  createdAt: number;
}

export interface Workload extends ObjectMeta {
  kind: WorkloadKind;
  namespace: string;
  generation: number;
  /** Ignored for DaemonSets, which run one pod per node. */
  replicas: number;
  paused: boolean;
  selector: StringMap;
  /** The desired pod template. */
  template: PodTemplate;
  /** The template the pods run; it lags `template` while the rollout is paused. */
  liveTemplate: PodTemplate;
  /** Oldest first; the last one is the current revision. */
  revisions: Revision[];
}

export interface ContainerStatus {
  name: string;
  image: string;
  ready: boolean;
  restarts: number;
  /** Set while the container is not running, e.g. CrashLoopBackOff. */
  waitingReason?: string;
}

export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

export interface Pod extends ObjectMeta {
  namespace: string;
  owner?: { kind: WorkloadKind; name: string };
  templateHash: string;
  /** Empty while the pod is Pending (no schedulable node). */
  nodeName: string;
  ip: string;
  phase: PodPhase;
  containers: ContainerSpec[];
  statuses: ContainerStatus[];
}

export interface KubeEvent extends ObjectMeta {
  namespace: string;
  type: "Normal" | "Warning";
  reason: string;
  /** kind/name of the object the event is about, as kubectl prints it. */
  object: string;
  message: string;
  count: number;
  lastSeen: number;
}

/** Every other kind (Service, ConfigMap, Secret, RBAC, storage, jobs, CRDs, custom resources). */
export interface StoredObject extends ObjectMeta {
  apiVersion: string;
  kind: string;
  namespace?: string;
  /** The manifest's top-level fields other than apiVersion, kind and metadata (spec, data, rules...). */
  body: Record<string, unknown>;
}

export interface ClusterState {
  context: string;
  clusterName: string;
  user: string;
  server: string;
  version: string;
  region: string;
  namespaces: Map<string, Namespace>;
  nodes: Map<string, Node>;
  workloads: Workload[];
  pods: Pod[];
  objects: StoredObject[];
  events: KubeEvent[];
  /** Images whose containers crash on start: the seeded incident a rollback fixes. */
  crashingImages: Set<string>;
  /** Feeds uids, pod name suffixes and IPs, so the same calls always give the same names. */
  serial: number;
  /** Time is passed in: the model itself never reads the wall clock. */
  clock: () => number;
}
