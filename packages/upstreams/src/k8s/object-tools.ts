/** Creating, changing and deleting arbitrary objects: manifests, patches, labels, services, pods. */

import {
  flag,
  integer,
  keyValues,
  optionalInteger,
  optionalObject,
  optionalText,
  stringMap,
  text,
} from "../args.js";
import { applyManifest } from "../cluster/apply.js";
import { invalid } from "../cluster/errors.js";
import { resolveKind, resourceName } from "../cluster/kinds.js";
import { objectRef, toManifest } from "../cluster/manifest.js";
import { changeKeys } from "../cluster/metadata.js";
import type { ClusterState, Pod, StoredObject, Workload } from "../cluster/model.js";
import { mergePatch } from "../cluster/patch.js";
import { getResource, isWorkloadKind, type Resource, removeResource } from "../cluster/store.js";
import { applyYaml } from "../cluster/yaml.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import type { ToolArguments } from "../validation.js";
import { namespaceOf, stateOf } from "./common.js";

function resourceOf(state: ClusterState, args: ToolArguments, nameKey = "name"): Resource {
  const info = resolveKind(state, text(args, "resource_type"));
  return getResource(state, info, text(args, nameKey), namespaceOf(args));
}

function changeMetadata(
  cluster: SimulatedCluster,
  args: ToolArguments,
  field: "labels" | "annotations",
  verb: string,
) {
  const state = stateOf(cluster, args);
  const resource = resourceOf(state, args);
  const changes = keyValues(args, field) ?? {};
  const changed = changeKeys(resource.record[field], changes, flag(args, "overwrite"));
  const ref = objectRef(resource.info, resource.record.name);
  return jsonResult({
    message: changed ? `${ref} ${verb}` : `${ref} not ${verb}`,
    [field]: resource.record[field],
  });
}

/** What `kubectl expose` selects: the workload's selector, a pod's labels or a service's selector. */
function selectorOf(resource: Resource): Record<string, string> {
  if (isWorkloadKind(resource.info.kind)) return { ...(resource.record as Workload).selector };
  if (resource.info.kind === "Pod") return { ...(resource.record as Pod).labels };
  const spec = (resource.record as StoredObject).body.spec as
    | { selector?: Record<string, string> }
    | undefined;
  if (resource.info.kind === "Service" && spec?.selector) return { ...spec.selector };
  throw invalid(`cannot expose a ${resource.info.kind}`);
}

function parseSelector(text: string): Record<string, string> {
  return Object.fromEntries(
    text.split(",").map((term) => {
      const [key = "", value = ""] = term.split("=");
      return [key.trim(), value.trim()];
    }),
  );
}

function dataDetail(object: StoredObject, values: Record<string, string>) {
  return {
    name: object.name,
    namespace: object.namespace,
    labels: object.labels,
    ...(object.kind === "Secret" ? { type: object.body.type } : {}),
    data: values,
  };
}

export function objectTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  const fromYaml = (mode: "create" | "apply") => (args: ToolArguments) => {
    const state = stateOf(cluster, args);
    const results = applyYaml(state, text(args, "yaml_content"), {
      mode,
      namespace: optionalText(args, "namespace"),
    });
    return jsonResult({ results });
  };

  return {
    k8s_create_resource: fromYaml("create"),
    k8s_apply_resource: fromYaml("apply"),

    k8s_delete_resource: (args) => {
      const state = stateOf(cluster, args);
      const resource = resourceOf(state, args);
      removeResource(state, resource);
      return jsonResult({ message: `${resourceName(resource.info)} "${resource.record.name}" deleted` });
    },

    k8s_patch_resource: (args) => {
      const state = stateOf(cluster, args);
      const resource = resourceOf(state, args);
      const patch = optionalObject(args, "patch") ?? {};
      const current = toManifest(state, resource);
      const merged = mergePatch(current, patch) as typeof current;
      if (
        merged.kind !== current.kind ||
        (merged.metadata as { name?: unknown }).name !== resource.record.name
      ) {
        throw invalid("a patch may not change an object's kind or name");
      }
      const { ref, outcome } = applyManifest(state, merged, { mode: "apply", namespace: resource.namespace });
      return jsonResult({
        message: outcome === "unchanged" ? `${ref} patched (no change)` : `${ref} patched`,
      });
    },

    k8s_label_resource: (args) => changeMetadata(cluster, args, "labels", "labeled"),
    k8s_annotate_resource: (args) => changeMetadata(cluster, args, "annotations", "annotated"),

    k8s_expose_resource: (args) => {
      const state = stateOf(cluster, args);
      const resource = resourceOf(state, args);
      const selectorText = optionalText(args, "selector");
      const name = optionalText(args, "service_name") ?? resource.record.name;
      const port = integer(args, "port");
      const manifest = {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: resource.namespace, labels: stringMap(args, "labels") },
        spec: {
          type: optionalText(args, "type") ?? "ClusterIP",
          selector: selectorText ? parseSelector(selectorText) : selectorOf(resource),
          ports: [
            {
              port,
              targetPort: optionalInteger(args, "target_port") ?? port,
              protocol: optionalText(args, "protocol") ?? "TCP",
            },
          ],
        },
      };
      const { ref } = applyManifest(state, manifest, { mode: "create" });
      const service = getResource(
        state,
        resolveKind(state, "Service"),
        name,
        resource.namespace ?? "default",
      );
      return jsonResult({ message: `${ref} exposed`, service: toManifest(state, service) });
    },

    k8s_run_pod: (args) => {
      const state = stateOf(cluster, args);
      const name = text(args, "name");
      const env = Object.entries(stringMap(args, "env")).map(([key, value]) => ({ name: key, value }));
      const command = Array.isArray(args.command) ? args.command.map(String) : undefined;
      const manifest = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: namespaceOf(args), labels: { run: name, ...stringMap(args, "labels") } },
        spec: {
          restartPolicy: optionalText(args, "restart") ?? "Always",
          containers: [{ name, image: text(args, "image"), command, env }],
        },
      };
      const { ref } = applyManifest(state, manifest, { mode: "create" });
      const pod = getResource(state, resolveKind(state, "Pod"), name, namespaceOf(args)).record as Pod;
      return jsonResult({
        message: `${ref} created`,
        node: pod.nodeName || null,
        phase: pod.phase,
        ip: pod.ip || null,
      });
    },

    k8s_get_secret_detail: (args) => {
      const state = stateOf(cluster, args);
      const secret = getResource(
        state,
        resolveKind(state, "Secret"),
        text(args, "name"),
        text(args, "namespace"),
      );
      const object = secret.record as StoredObject;
      const data = (object.body.data ?? {}) as Record<string, string>;
      const decode = flag(args, "decode");
      const values = Object.fromEntries(
        Object.entries(data).map(([key, value]) => [
          key,
          decode ? Buffer.from(value, "base64").toString("utf8") : value,
        ]),
      );
      return jsonResult(dataDetail(object, values));
    },

    k8s_create_secret_resource: (args) => {
      const state = stateOf(cluster, args);
      const manifest = {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: text(args, "name"),
          namespace: text(args, "namespace"),
          labels: stringMap(args, "labels"),
        },
        type: optionalText(args, "secret_type") ?? "Opaque",
        stringData: stringMap(args, "data"),
      };
      const { ref } = applyManifest(state, manifest, { mode: "create" });
      return jsonResult({ message: `${ref} created`, keys: Object.keys(manifest.stringData).sort() });
    },

    k8s_get_configmap_detail: (args) => {
      const state = stateOf(cluster, args);
      const configMap = getResource(
        state,
        resolveKind(state, "ConfigMap"),
        text(args, "name"),
        text(args, "namespace"),
      );
      const object = configMap.record as StoredObject;
      return jsonResult(dataDetail(object, (object.body.data ?? {}) as Record<string, string>));
    },

    k8s_create_configmap_resource: (args) => {
      const state = stateOf(cluster, args);
      const manifest = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: text(args, "name"),
          namespace: text(args, "namespace"),
          labels: stringMap(args, "labels"),
        },
        data: stringMap(args, "data"),
      };
      const { ref } = applyManifest(state, manifest, { mode: "create" });
      return jsonResult({ message: `${ref} created`, keys: Object.keys(manifest.data).sort() });
    },
  };
}
