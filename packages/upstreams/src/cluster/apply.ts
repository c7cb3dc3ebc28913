/**
 * Creating and updating objects from manifests: `kubectl create`/`apply`, patches (merged into the
 * current manifest first) and the seed data all come through here, so they share one set of rules.
 */
import { z } from "zod";
import { alreadyExists, ClusterError, invalid } from "./errors.js";
import { type KindInfo, kindForManifest, resourceName } from "./kinds.js";
import { type Manifest, objectRef, toManifest, userFields } from "./manifest.js";
import type {
  ClusterState,
  ContainerSpec,
  ObjectMeta,
  Pod,
  PodTemplate,
  StoredObject,
  Workload,
  WorkloadKind,
} from "./model.js";
import { newUid } from "./names.js";
import { createPod } from "./pods.js";
import { CHANGE_CAUSE, reconcile, setTemplate } from "./rollout.js";
import { findResource, isWorkloadKind, type Resource, requireNamespace } from "./store.js";

export type ApplyMode = "create" | "apply";

export interface ApplyOptions {
  mode: ApplyMode;
  /** The namespace the caller asked for (-n); the manifest's own namespace must agree with it. */
  namespace?: string;
  at?: number;
}

export interface ApplyOutcome {
  ref: string;
  outcome: "created" | "configured" | "unchanged";
}

const Labels = z.record(z.string(), z.string());
const Metadata = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().optional(),
  labels: Labels.optional(),
  annotations: Labels.optional(),
});
const ManifestShape = z.looseObject({
  apiVersion: z.string().min(1),
  kind: z.string().min(1),
  metadata: Metadata,
});
const Quantities = z.record(z.string(), z.union([z.string(), z.number()]).transform(String));
const Container = z.looseObject({
  name: z.string().min(1),
  image: z.string().min(1),
  ports: z.array(z.looseObject({ containerPort: z.number().int() })).optional(),
  env: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
  resources: z.looseObject({ requests: Quantities.optional(), limits: Quantities.optional() }).optional(),
});
const PodSpec = z.looseObject({ containers: z.array(Container).min(1) });
const WorkloadSpec = z.looseObject({
  replicas: z.number().int().min(0).optional(),
  paused: z.boolean().optional(),
  selector: z.looseObject({ matchLabels: Labels.optional() }).optional(),
  template: z.looseObject({
    metadata: z.looseObject({ labels: Labels.optional(), annotations: Labels.optional() }).optional(),
    spec: PodSpec,
  }),
});

const DEFAULT_SERVICE_ACCOUNT = (namespace: string) => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name: "default", namespace },
});

// Server-owned annotations come back in every manifest we print; they are not the user's to set.
const SERVER_ANNOTATIONS = ["deployment.kubernetes.io/revision"];

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "<root>"}: ${issue.message}`,
  );
  throw invalid(`${what} is invalid: ${problems.join("; ")}`);
}

function userAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  const kept = { ...annotations };
  for (const key of SERVER_ANNOTATIONS) delete kept[key];
  return kept;
}

type Parsed = Manifest & z.infer<typeof ManifestShape>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** Namespaces are DNS labels; (nearly) every other object name is a DNS subdomain. */
function checkName(kind: string, name: string): void {
  const [rule, what] =
    kind === "Namespace" ? [DNS_LABEL, "RFC 1123 label"] : [DNS_SUBDOMAIN, "RFC 1123 subdomain"];
  if (!rule.test(name) && !(kind.endsWith("Role") || kind.endsWith("RoleBinding"))) {
    throw invalid(
      `${kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase ${what} must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
    );
  }
}

export function applyManifest(state: ClusterState, raw: unknown, options: ApplyOptions): ApplyOutcome {
  const manifest = parse(ManifestShape, raw, "manifest") as Parsed;
  const info = kindForManifest(state, manifest.apiVersion, manifest.kind);
  const { name } = manifest.metadata;
  checkName(info.kind, name);
  const namespace = info.namespaced
    ? targetNamespace(state, manifest.metadata.namespace, options.namespace)
    : undefined;
  const existing = findResource(state, info, name, namespace ?? "");
  if (existing && options.mode === "create") throw alreadyExists(resourceName(info), name);
  const before = existing && userFields(toManifest(state, existing));
  const at = options.at ?? state.clock();
  const record = upsert(state, { info, namespace, existing: existing?.record }, manifest, at);
  const resource: Resource = { info, namespace, record };
  const after = userFields(toManifest(state, resource));
  const outcome = !existing ? "created" : before === after ? "unchanged" : "configured";
  return { ref: objectRef(info, name), outcome };
}

function targetNamespace(state: ClusterState, fromManifest?: string, requested?: string): string {
  if (fromManifest && requested && fromManifest !== requested) {
    throw invalid(
      `the namespace from the provided object "${fromManifest}" does not match the namespace "${requested}". You must pass '--namespace=${fromManifest}' to perform this operation.`,
    );
  }
  const namespace = fromManifest ?? requested ?? "default";
  requireNamespace(state, namespace);
  return namespace;
}

interface Target {
  info: KindInfo;
  namespace: string | undefined;
  /** The current object; its type follows from `info.kind`, as the store keeps one collection per kind. */
  existing: ObjectMeta | undefined;
}

function upsert(state: ClusterState, target: Target, manifest: Parsed, at: number): ObjectMeta {
  const { info, existing } = target;
  const namespace = target.namespace ?? "default";
  const { name, labels = {}, annotations } = manifest.metadata;
  const meta = { labels: { ...labels }, annotations: userAnnotations(annotations) };
  if (info.kind === "Namespace") {
    const record = state.namespaces.get(name) ?? { name, uid: newUid(state), createdAt: at, ...meta };
    state.namespaces.set(name, Object.assign(record, meta));
    // Every new namespace gets its "default" service account, as the service account controller does.
    if (!existing) applyManifest(state, DEFAULT_SERVICE_ACCOUNT(name), { mode: "apply", at });
    return record;
  }
  if (info.kind === "Node") {
    const record = state.nodes.get(name);
    if (!record)
      throw new ClusterError("Forbidden", `nodes "${name}" is forbidden: nodes register themselves`);
    return Object.assign(record, meta);
  }
  if (info.kind === "Event")
    throw new ClusterError("Forbidden", "events are recorded by the cluster, not applied");
  if (info.kind === "Pod") return upsertPod(state, manifest, namespace, existing as Pod | undefined, at);
  if (isWorkloadKind(info.kind)) {
    return upsertWorkload(state, info.kind, manifest, namespace, existing as Workload | undefined, at);
  }
  return upsertObject(state, manifest, target.namespace, existing as StoredObject | undefined, at);
}

function containerSpec(container: z.infer<typeof Container>): ContainerSpec {
  return {
    name: container.name,
    image: container.image,
    ports: (container.ports ?? []).map((port) => port.containerPort),
    env: Object.fromEntries((container.env ?? []).map((entry) => [entry.name, entry.value ?? ""])),
    requests: { ...container.resources?.requests },
    limits: { ...container.resources?.limits },
  };
}

function upsertPod(
  state: ClusterState,
  manifest: Parsed,
  namespace: string,
  existing: Pod | undefined,
  at: number,
) {
  const spec = parse(PodSpec, manifest.spec, `Pod "${manifest.metadata.name}"`);
  const containers = spec.containers.map(containerSpec);
  const { labels = {}, annotations = {} } = manifest.metadata;
  if (!existing)
    return createPod(state, { name: manifest.metadata.name, namespace, labels, annotations, containers }, at);
  if (JSON.stringify(existing.containers) !== JSON.stringify(containers)) {
    throw invalid(
      `Pod "${existing.name}" is invalid: spec: Forbidden: pod updates may not change fields other than labels and annotations`,
    );
  }
  return Object.assign(existing, { labels: { ...labels }, annotations: { ...annotations } });
}

function upsertWorkload(
  state: ClusterState,
  kind: WorkloadKind,
  manifest: Parsed,
  namespace: string,
  existing: Workload | undefined,
  at: number,
): Workload {
  const { name, labels = {}, annotations } = manifest.metadata;
  const spec = parse(WorkloadSpec, manifest.spec, `${kind}.apps "${name}"`);
  const template: PodTemplate = {
    labels: { ...spec.template.metadata?.labels },
    annotations: { ...spec.template.metadata?.annotations },
    containers: spec.template.spec.containers.map(containerSpec),
  };
  const selector = spec.selector?.matchLabels ?? template.labels;
  if (!Object.entries(selector).every(([key, value]) => template.labels[key] === value)) {
    throw invalid(
      `${kind}.apps "${name}" is invalid: spec.template.metadata.labels: Invalid value: selector does not match template labels`,
    );
  }
  const changeCause = annotations?.[CHANGE_CAUSE] ?? "";
  const meta = { labels: { ...labels }, annotations: userAnnotations(annotations) };
  if (!existing)
    return createWorkload(state, { kind, name, namespace, template, selector, meta, changeCause }, spec, at);
  Object.assign(existing, meta);
  const wasPaused = existing.paused;
  // Pausing takes effect before the template changes, so an apply that pauses does not roll out.
  existing.paused = spec.paused ?? false;
  setTemplate(state, existing, template, changeCause, at);
  if (wasPaused && !existing.paused) existing.liveTemplate = structuredClone(existing.template);
  const replicas = spec.replicas ?? existing.replicas;
  if (wasPaused !== existing.paused || replicas !== existing.replicas) existing.generation += 1;
  existing.replicas = replicas;
  reconcile(state, existing, at);
  return existing;
}

interface NewWorkload {
  kind: WorkloadKind;
  name: string;
  namespace: string;
  template: PodTemplate;
  selector: Record<string, string>;
  meta: { labels: Record<string, string>; annotations: Record<string, string> };
  changeCause: string;
}

function createWorkload(
  state: ClusterState,
  input: NewWorkload,
  spec: z.infer<typeof WorkloadSpec>,
  at: number,
): Workload {
  const workload: Workload = {
    kind: input.kind,
    name: input.name,
    namespace: input.namespace,
    uid: newUid(state),
    createdAt: at,
    ...input.meta,
    generation: 1,
    replicas: spec.replicas ?? 1,
    paused: spec.paused ?? false,
    selector: { ...input.selector },
    template: structuredClone(input.template),
    liveTemplate: structuredClone(input.template),
    revisions: [
      { number: 1, template: structuredClone(input.template), changeCause: input.changeCause, createdAt: at },
    ],
  };
  state.workloads.push(workload);
  reconcile(state, workload, at);
  return workload;
}

function upsertObject(
  state: ClusterState,
  manifest: Parsed,
  namespace: string | undefined,
  existing: StoredObject | undefined,
  at: number,
): StoredObject {
  const { apiVersion, kind, metadata, status, ...fields } = manifest;
  const body: Record<string, unknown> = normalizeBody(state, kind, fields, existing);
  // Status is the server's: an apply keeps the current one; only new objects (the seed) may bring theirs.
  const keptStatus = existing ? existing.body.status : status;
  if (keptStatus !== undefined) body.status = keptStatus;
  const meta = { labels: { ...metadata.labels }, annotations: userAnnotations(metadata.annotations) };
  if (existing) return Object.assign(existing, meta, { body });
  const object: StoredObject = {
    apiVersion,
    kind,
    name: metadata.name,
    namespace,
    uid: newUid(state),
    createdAt: at,
    ...meta,
    body,
  };
  state.objects.push(object);
  return object;
}

const SecretData = z.record(z.string(), z.string());

/** The defaulting a real API server does for the few kinds whose defaults tools show. */
function normalizeBody(
  state: ClusterState,
  kind: string,
  fields: Record<string, unknown>,
  existing: StoredObject | undefined,
): Record<string, unknown> {
  if (kind === "Secret") {
    const { stringData, ...rest } = fields;
    const data = { ...parse(SecretData, rest.data ?? {}, "Secret data") };
    for (const [key, value] of Object.entries(parse(SecretData, stringData ?? {}, "Secret stringData"))) {
      data[key] = Buffer.from(value).toString("base64");
    }
    return { type: "Opaque", ...rest, data };
  }
  if (kind === "Service") {
    const spec: Record<string, unknown> = {
      type: "ClusterIP",
      ...(fields.spec as Record<string, unknown> | undefined),
    };
    const previous = (existing?.body.spec as Record<string, unknown> | undefined)?.clusterIP;
    spec.clusterIP ??= previous ?? serviceIp(state);
    return { ...fields, spec };
  }
  return { ...fields };
}

function serviceIp(state: ClusterState): string {
  state.serial += 1;
  return `172.20.${Math.floor(state.serial / 250) % 250}.${(state.serial % 250) + 2}`;
}
