/** Runs one kubectl command line against a cluster and prints what kubectl would print. */
import { ClusterError } from "../../cluster/errors.js";
import type { ClusterState } from "../../cluster/model.js";
import { KubectlFailure, parseKubectl, UsageError } from "./parse.js";
import { READ_VERBS } from "./read-verbs.js";
import { applyYamlText, WRITE_VERBS } from "./write-verbs.js";

export interface KubectlOutcome {
  ok: boolean;
  output: string;
}

// kubectl prints failures the API server reported with their reason, and its own without.
const SERVER_REASONS = new Set(["NotFound", "AlreadyExists", "Forbidden"]);

function failure(error: unknown): KubectlOutcome {
  if (error instanceof UsageError) return { ok: false, output: `error: ${error.message}` };
  if (error instanceof KubectlFailure) return { ok: false, output: error.message };
  if (error instanceof ClusterError) {
    const output = SERVER_REASONS.has(error.reason)
      ? `Error from server (${error.reason}): ${error.message}`
      : `error: ${error.message}`;
    return { ok: false, output };
  }
  throw error;
}

export function runKubectl(state: ClusterState, line: string): KubectlOutcome {
  try {
    const command = parseKubectl(line);
    const verb = READ_VERBS[command.verb] ?? WRITE_VERBS[command.verb];
    if (!verb) throw new UsageError(`unknown command "${command.verb}" for "kubectl"`);
    return { ok: true, output: verb(state, command) };
  } catch (error) {
    return failure(error);
  }
}

export function applyYamlCommand(state: ClusterState, yaml: string): KubectlOutcome {
  try {
    return { ok: true, output: applyYamlText(state, yaml) };
  } catch (error) {
    return failure(error);
  }
}
