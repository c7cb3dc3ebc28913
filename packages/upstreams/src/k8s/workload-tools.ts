/** Rollouts, scaling and container resources for deployments, statefulsets and daemonsets. */

import { integer, keyValues, optionalInteger, optionalText, text } from "../args.js";
import { applyManifest } from "../cluster/apply.js";
import { invalid } from "../cluster/errors.js";
import type { ClusterState, ContainerSpec, PodTemplate, Workload } from "../cluster/model.js";
import { iso } from "../cluster/quantity.js";
import {
  pauseRollout,
  RESTARTED_AT,
  restartRollout,
  resumeRollout,
  rolloutStatus,
  scaleWorkload,
  setTemplate,
  undoRollout,
} from "../cluster/rollout.js";
import { requireWorkload } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { jsonResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import type { ToolArguments } from "../validation.js";
import { namespaceOf, stateOf } from "./common.js";

interface Target {
  state: ClusterState;
  workload: Workload;
  ref: string;
}

function target(cluster: SimulatedCluster, args: ToolArguments, nameKey = "name"): Target {
  const state = stateOf(cluster, args);
  const workload = requireWorkload(
    state,
    text(args, "resource_type"),
    namespaceOf(args),
    text(args, nameKey),
  );
  const ref = `${workload.kind.toLowerCase()}.apps/${workload.name}`;
  return { state, workload, ref };
}

function images(template: PodTemplate): string[] {
  return template.containers.map((container) => container.image);
}

function statusOf({ state, workload }: Target) {
  const status = rolloutStatus(state, workload);
  return {
    name: workload.name,
    namespace: workload.namespace,
    kind: workload.kind,
    generation: workload.generation,
    observed_generation: workload.generation,
    paused: status.paused,
    replicas: {
      desired: status.desired,
      current: status.current,
      updated: status.updated,
      ready: status.ready,
      available: status.ready,
      unavailable: Math.max(0, status.desired - status.ready),
    },
    complete: status.complete,
    message: status.message,
  };
}

/** Applies a resources change to the named containers (all when none are named) as a new revision. */
function setResources(
  target: Target,
  containers: string[] | undefined,
  change: (container: ContainerSpec) => void,
) {
  const template = structuredClone(target.workload.template);
  const chosen = template.containers.filter(
    (container) => !containers || containers.includes(container.name),
  );
  const unknown = (containers ?? []).filter(
    (name) => !template.containers.some((container) => container.name === name),
  );
  if (unknown.length > 0) throw invalid(`unable to find container named "${unknown.join('", "')}"`);
  for (const container of chosen) change(container);
  const changed = setTemplate(target.state, target.workload, template, "kubectl set resources");
  return jsonResult({
    message: `${target.ref} resource requirements ${changed ? "updated" : "unchanged"}`,
    containers: target.workload.template.containers.map(({ name, requests, limits }) => ({
      name,
      requests,
      limits,
    })),
    revision: target.workload.revisions.at(-1)?.number,
  });
}

function quantities(args: ToolArguments, key: string): Record<string, string> {
  const values = keyValues(args, key) ?? {};
  return Object.fromEntries(
    Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null),
  );
}

export function workloadTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  return {
    k8s_rollout_status: (args) => jsonResult(statusOf(target(cluster, args))),

    k8s_rollout_history: (args) => {
      const { workload } = target(cluster, args);
      const current = workload.revisions.at(-1)?.number;
      return jsonResult({
        resource: { type: workload.kind.toLowerCase(), name: workload.name, namespace: workload.namespace },
        revisions: [...workload.revisions].reverse().map((revision) => ({
          revision: revision.number,
          change_cause: revision.changeCause || "<none>",
          images: images(revision.template),
          created_at: iso(revision.createdAt),
          current: revision.number === current,
        })),
      });
    },

    k8s_rollout_undo: (args) => {
      const found = target(cluster, args);
      const from = undoRollout(found.state, found.workload, optionalInteger(args, "to_revision"));
      return jsonResult({
        message: `${found.ref} rolled back`,
        rolled_back_to: from,
        revision: found.workload.revisions.at(-1)?.number,
        images: images(found.workload.template),
      });
    },

    k8s_rollout_restart: (args) => {
      const found = target(cluster, args);
      restartRollout(found.state, found.workload);
      return jsonResult({
        message: `${found.ref} restarted`,
        restarted_at: found.workload.template.annotations[RESTARTED_AT],
        revision: found.workload.revisions.at(-1)?.number,
      });
    },

    k8s_rollout_pause: (args) => {
      const found = target(cluster, args);
      pauseRollout(found.workload);
      return jsonResult({ ...statusOf(found), message: `${found.ref} paused` });
    },

    k8s_rollout_resume: (args) => {
      const found = target(cluster, args);
      resumeRollout(found.state, found.workload);
      return jsonResult({ ...statusOf(found), message: `${found.ref} resumed` });
    },

    k8s_scale_resource: (args) => {
      const found = target(cluster, args);
      const previous = found.workload.replicas;
      scaleWorkload(found.state, found.workload, integer(args, "replicas"));
      return jsonResult({
        message: `${found.ref} scaled`,
        replicas: { previous, current: found.workload.replicas },
      });
    },

    k8s_autoscale_resource: (args) => {
      const found = target(cluster, args);
      const min = integer(args, "min_replicas");
      const max = integer(args, "max_replicas");
      const cpu = optionalInteger(args, "cpu_percent") ?? 80;
      if (min < 1 || max < min)
        throw invalid(`invalid replica bounds: need 1 <= min_replicas (${min}) <= max_replicas (${max})`);
      const { workload, state } = found;
      const hpa = {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: workload.name, namespace: workload.namespace },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: workload.kind, name: workload.name },
          minReplicas: min,
          maxReplicas: max,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: cpu } },
            },
          ],
        },
      };
      const { ref } = applyManifest(state, hpa, { mode: "apply" });
      // The autoscaler's first act: bring the replica count inside its bounds.
      const bounded = Math.min(max, Math.max(min, workload.replicas));
      if (bounded !== workload.replicas) scaleWorkload(state, workload, bounded);
      return jsonResult({
        message: `${ref} autoscaled`,
        min_replicas: min,
        max_replicas: max,
        cpu_percent: cpu,
        replicas: workload.replicas,
      });
    },

    k8s_update_resources: (args) => {
      const found = target(cluster, args);
      const change = {
        requests: { memory: optionalText(args, "memory_request"), cpu: optionalText(args, "cpu_request") },
        limits: { memory: optionalText(args, "memory_limit"), cpu: optionalText(args, "cpu_limit") },
      };
      const given = [...Object.values(change.requests), ...Object.values(change.limits)].some(
        (value) => value,
      );
      if (!given) throw invalid("give at least one of memory_request, memory_limit, cpu_request, cpu_limit");
      return setResources(found, [text(args, "container")], (container) => {
        for (const [key, value] of Object.entries(change.requests))
          if (value) container.requests[key] = value;
        for (const [key, value] of Object.entries(change.limits)) if (value) container.limits[key] = value;
      });
    },

    k8s_set_resources_for_container: (args) => {
      const found = target(cluster, args, "resource_name");
      const named = Array.isArray(args.containers) ? args.containers.map(String) : undefined;
      const limits = quantities(args, "limits");
      const requests = quantities(args, "requests");
      if (Object.keys(limits).length + Object.keys(requests).length === 0)
        throw invalid("give limits or requests");
      return setResources(found, named && named.length > 0 ? named : undefined, (container) => {
        Object.assign(container.limits, limits);
        Object.assign(container.requests, requests);
      });
    },
  };
}
