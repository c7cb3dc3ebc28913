/** Short builders for the seed's manifests, so the seed reads as a list of objects rather than YAML. */
import type { StringMap } from "./model.js";

type Manifest = Record<string, unknown>;

export interface ContainerInput {
  name?: string;
  image: string;
  port?: number;
  env?: StringMap;
  cpu?: string;
  memory?: string;
}

const meta = (name: string, namespace?: string, labels?: StringMap, annotations?: StringMap) => ({
  name,
  namespace,
  labels,
  annotations,
});

function container(app: string, input: ContainerInput) {
  const cpu = input.cpu ?? "100m";
  const memory = input.memory ?? "128Mi";
  return {
    name: input.name ?? app,
    image: input.image,
    ports: input.port ? [{ containerPort: input.port }] : undefined,
    env: Object.entries(input.env ?? {}).map(([name, value]) => ({ name, value })),
    resources: { requests: { cpu, memory }, limits: { memory } },
  };
}

export interface WorkloadInput extends ContainerInput {
  replicas?: number;
  paused?: boolean;
  changeCause?: string;
  sidecars?: ContainerInput[];
  labels?: StringMap;
}

function workload(kind: string, namespace: string, name: string, input: WorkloadInput): Manifest {
  const podLabels = { app: name, ...input.labels };
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: meta(
      name,
      namespace,
      { app: name, ...input.labels },
      input.changeCause ? { "kubernetes.io/change-cause": input.changeCause } : undefined,
    ),
    spec: {
      replicas: kind === "DaemonSet" ? undefined : (input.replicas ?? 1),
      paused: input.paused,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          containers: [
            container(name, input),
            ...(input.sidecars ?? []).map((side) => container(name, side)),
          ],
        },
      },
    },
  };
}

export const deployment = (namespace: string, name: string, input: WorkloadInput) =>
  workload("Deployment", namespace, name, input);
export const statefulSet = (namespace: string, name: string, input: WorkloadInput) =>
  workload("StatefulSet", namespace, name, input);
export const daemonSet = (namespace: string, name: string, input: WorkloadInput) =>
  workload("DaemonSet", namespace, name, input);

export const namespace = (name: string, labels?: StringMap): Manifest => ({
  apiVersion: "v1",
  kind: "Namespace",
  metadata: meta(name, undefined, { "kubernetes.io/metadata.name": name, ...labels }),
});

export interface ServiceInput {
  targetPort?: number;
  type?: string;
  /** Defaults to the app label; null for a service without a selector (its endpoints are managed elsewhere). */
  selector?: StringMap | null;
}

export const service = (namespace: string, name: string, port: number, input: ServiceInput = {}) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: meta(name, namespace, { app: name }),
  spec: {
    type: input.type ?? "ClusterIP",
    selector: input.selector === null ? undefined : (input.selector ?? { app: name }),
    ports: [{ name: "http", port, targetPort: input.targetPort ?? port, protocol: "TCP" }],
  },
});

export const configMap = (namespace: string, name: string, data: StringMap) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: meta(name, namespace),
  data,
});

export const secret = (namespace: string, name: string, stringData: StringMap, type = "Opaque") => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: meta(name, namespace),
  type,
  stringData,
});

export const serviceAccount = (namespace: string, name: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: meta(name, namespace),
});

const rbac = "rbac.authorization.k8s.io/v1";

export const role = (namespace: string | undefined, name: string, rules: Manifest[]) => ({
  apiVersion: rbac,
  kind: namespace ? "Role" : "ClusterRole",
  metadata: meta(name, namespace),
  rules,
});

export const rule = (apiGroups: string[], resources: string[], verbs: string[]) => ({
  apiGroups,
  resources,
  verbs,
});

export const binding = (
  namespace: string | undefined,
  name: string,
  roleName: string,
  subject: Manifest,
) => ({
  apiVersion: rbac,
  kind: namespace ? "RoleBinding" : "ClusterRoleBinding",
  metadata: meta(name, namespace),
  roleRef: {
    apiGroup: "rbac.authorization.k8s.io",
    kind: namespace ? "Role" : "ClusterRole",
    name: roleName,
  },
  subjects: [subject],
});

export const storageClass = (name: string, isDefault: boolean) => ({
  apiVersion: "storage.k8s.io/v1",
  kind: "StorageClass",
  metadata: meta(name, undefined, undefined, {
    "storageclass.kubernetes.io/is-default-class": String(isDefault),
  }),
  provisioner: "ebs.csi.aws.com",
  parameters: { type: name },
  reclaimPolicy: "Delete",
  volumeBindingMode: "WaitForFirstConsumer",
  allowVolumeExpansion: true,
});

/** A bound claim and the volume behind it. */
export function volume(namespace: string, claim: string, size: string, volumeName: string): Manifest[] {
  return [
    {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: meta(volumeName),
      spec: {
        capacity: { storage: size },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "gp3",
        persistentVolumeReclaimPolicy: "Delete",
        claimRef: { namespace, name: claim },
      },
      status: { phase: "Bound" },
    },
    {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: meta(claim, namespace),
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: "gp3",
        resources: { requests: { storage: size } },
        volumeName,
      },
      status: { phase: "Bound", capacity: { storage: size } },
    },
  ];
}

export const networkPolicy = (namespace: string, name: string, spec: Manifest) => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: meta(name, namespace),
  spec,
});

export function cronJob(
  namespace: string,
  name: string,
  schedule: string,
  image: string,
  lastRun: string,
): Manifest[] {
  const jobSpec = { template: { spec: { restartPolicy: "OnFailure", containers: [{ name, image }] } } };
  return [
    {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: meta(name, namespace, { app: name }),
      spec: { schedule, concurrencyPolicy: "Forbid", jobTemplate: { spec: jobSpec } },
      status: { lastScheduleTime: lastRun, lastSuccessfulTime: lastRun },
    },
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: meta(`${name}-29145600`, namespace, { app: name }),
      spec: { completions: 1, backoffLimit: 3, ...jobSpec },
      status: { succeeded: 1, startTime: lastRun, completionTime: lastRun },
    },
  ];
}

export const crd = (
  group: string,
  kind: string,
  plural: string,
  version: string,
  scope: string,
  shortNames: string[],
) => ({
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: meta(`${plural}.${group}`),
  spec: {
    group,
    scope,
    names: { kind, plural, singular: kind.toLowerCase(), shortNames },
    versions: [{ name: version, served: true, storage: true }],
  },
});
