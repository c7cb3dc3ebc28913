/** kubectl verbs that change the cluster: delete, scale, apply, create, rollout, label, node upkeep, exec. */
import { applyManifest } from "../../cluster/apply.js";
import { execInPod } from "../../cluster/exec.js";
import { resolveKind, resourceName } from "../../cluster/kinds.js";
import { objectRef } from "../../cluster/manifest.js";
import { changeKeys } from "../../cluster/metadata.js";
import type { ClusterState, Workload } from "../../cluster/model.js";
import { drainNode, setUnschedulable } from "../../cluster/nodes.js";
import {
  pauseRollout,
  restartRollout,
  resumeRollout,
  rolloutStatus,
  scaleWorkload,
  undoRollout,
} from "../../cluster/rollout.js";
import {
  getResource,
  listResources,
  matchesSelector,
  removeResource,
  requireNode,
  requirePod,
  requireWorkload,
} from "../../cluster/store.js";
import { applyYaml } from "../../cluster/yaml.js";
import { type KubectlCommand, KubectlFailure, typeAndNames, UsageError } from "./parse.js";
import { namespaceFlag, type Verb } from "./read-verbs.js";

function namespaceOf(command: KubectlCommand): string {
  return namespaceFlag(command) ?? "default";
}

const deleteVerb: Verb = (state, command) => {
  const { type, names } = typeAndNames(command.words);
  if (!type) throw new UsageError("You must provide one or more resources by argument or filename.");
  const info = resolveKind(state, type);
  const selector = command.flags.get("selector");
  const targets =
    names.length > 0
      ? names.map((name) => getResource(state, info, name, namespaceOf(command)))
      : selector || command.flags.has("all")
        ? listResources(state, info, namespaceFlag(command)).filter((resource) =>
            matchesSelector(resource.record.labels, selector),
          )
        : undefined;
  if (!targets) throw new UsageError("resource(s) were provided, but no name was specified");
  if (targets.length === 0) return "No resources found";
  for (const target of targets) removeResource(state, target);
  return targets.map((target) => `${resourceName(info)} "${target.record.name}" deleted`).join("\n");
};

const scale: Verb = (state, command) => {
  const { type, names } = typeAndNames(command.words);
  const replicas = Number(command.flags.get("replicas"));
  if (!command.flags.has("replicas") || !Number.isInteger(replicas))
    throw new UsageError('required flag(s) "replicas" not set');
  return names
    .map((name) => {
      const workload = requireWorkload(state, type, namespaceOf(command), name);
      scaleWorkload(state, workload, replicas);
      return `${workload.kind.toLowerCase()}.apps/${workload.name} scaled`;
    })
    .join("\n");
};

const apply: Verb = (_state, command) => {
  const file = command.flags.get("filename");
  throw new UsageError(
    file
      ? `the path "${file}" does not exist (pass the manifest in the yaml argument instead)`
      : "must specify one of -f and -k",
  );
};

const create: Verb = (state, command) => {
  const [what = "", name] = command.words;
  if ((what === "namespace" || what === "ns") && name) {
    const { ref } = applyManifest(
      state,
      { apiVersion: "v1", kind: "Namespace", metadata: { name } },
      { mode: "create" },
    );
    return `${ref} created`;
  }
  throw new UsageError(
    `kubectl create ${what}: only "create namespace NAME" is available here; apply YAML with the yaml argument`,
  );
};

type RolloutAction = (state: ClusterState, workload: Workload, command: KubectlCommand) => string;

const ROLLOUT_ACTIONS: Record<string, RolloutAction> = {
  status: (state, workload) => rolloutStatus(state, workload).message,
  history: (_state, workload) => {
    const rows = workload.revisions.map(
      (revision) => `${String(revision.number).padEnd(10)}${revision.changeCause || "<none>"}`,
    );
    return [refOf(workload), "REVISION  CHANGE-CAUSE", ...rows].join("\n");
  },
  undo: (state, workload, command) => {
    const revision = command.flags.get("to-revision");
    undoRollout(state, workload, revision ? Number(revision) : undefined);
    return `${refOf(workload)} rolled back`;
  },
  restart: (state, workload) => {
    restartRollout(state, workload);
    return `${refOf(workload)} restarted`;
  },
  pause: (_state, workload) => {
    pauseRollout(workload);
    return `${refOf(workload)} paused`;
  },
  resume: (state, workload) => {
    resumeRollout(state, workload);
    return `${refOf(workload)} resumed`;
  },
};

function refOf(workload: Workload): string {
  return `${workload.kind.toLowerCase()}.apps/${workload.name}`;
}

const rollout: Verb = (state, command) => {
  const [action = "", ...rest] = command.words;
  const run = ROLLOUT_ACTIONS[action];
  if (!run) throw new UsageError(`unknown command "${action}" for "kubectl rollout"`);
  const { type, names } = typeAndNames(rest);
  const name = names[0];
  if (!type || !name) throw new UsageError("required resource not specified");
  return run(state, requireWorkload(state, type, namespaceOf(command), name), command);
};

function metadataVerb(field: "labels" | "annotations", done: string): Verb {
  return (state, command) => {
    const { type, names } = typeAndNames(command.words);
    const pairs = names.filter((word) => word.includes("=") || word.endsWith("-"));
    const objectNames = names.filter((word) => !pairs.includes(word));
    const changes = Object.fromEntries(
      pairs.map((pair) =>
        pair.endsWith("-") && !pair.includes("=") ? [pair.slice(0, -1), null] : pair.split(/=(.*)/s, 2),
      ),
    ) as Record<string, string | null>;
    const info = resolveKind(state, type);
    return objectNames
      .map((name) => {
        const resource = getResource(state, info, name, namespaceOf(command));
        const changed = changeKeys(resource.record[field], changes, command.flags.has("overwrite"));
        return `${objectRef(info, name)} ${changed ? done : `not ${done}`}`;
      })
      .join("\n");
  };
}

function cordonVerb(unschedulable: boolean): Verb {
  return (state, command) => {
    const node = requireNode(state, command.words[0] ?? "");
    const changed = setUnschedulable(state, node, unschedulable);
    const done = unschedulable ? "cordoned" : "uncordoned";
    return `node/${node.name} ${changed ? done : `already ${done}`}`;
  };
}

const drain: Verb = (state, command) => {
  const node = requireNode(state, command.words[0] ?? "");
  const evicted = drainNode(state, node, {
    force: command.flags.has("force"),
    ignoreDaemonSets: command.flags.has("ignore-daemonsets"),
  });
  return [
    `node/${node.name} cordoned`,
    ...evicted.map((pod) => `evicting pod ${pod.namespace}/${pod.name}`),
    `node/${node.name} drained`,
  ].join("\n");
};

const exec: Verb = (state, command) => {
  const podName = command.words[0];
  if (!podName || command.trailing.length === 0)
    throw new UsageError("you must specify at least one command for the container");
  const pod = requirePod(state, podName.replace(/^pods?\//, ""), namespaceOf(command));
  const result = execInPod(state, pod, command.flags.get("container"), command.trailing);
  if (result.exitCode !== 0) {
    throw new KubectlFailure(`${result.output}\ncommand terminated with exit code ${result.exitCode}`);
  }
  return result.output;
};

export const WRITE_VERBS: Record<string, Verb> = {
  delete: deleteVerb,
  scale,
  apply,
  create,
  rollout,
  label: metadataVerb("labels", "labeled"),
  annotate: metadataVerb("annotations", "annotated"),
  cordon: cordonVerb(true),
  uncordon: cordonVerb(false),
  drain,
  exec,
};

/** The `yaml` argument: `kubectl apply -f` of the given text. */
export function applyYamlText(state: ClusterState, yaml: string): string {
  return applyYaml(state, yaml, { mode: "apply" }).join("\n");
}
