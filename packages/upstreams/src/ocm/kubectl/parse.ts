/**
 * kubectl's command line: the verb, positional words and flags. Only flags some verb here reads
 * are known; `--flag=value`, `--flag value` and `-oyaml` all work, as with the real kubectl.
 */
import { splitWords } from "../../words.js";

export interface KubectlCommand {
  verb: string;
  words: string[];
  flags: Map<string, string>;
  /** Everything after `--` (the command for exec). */
  trailing: string[];
}

const VALUE_FLAGS: Record<string, string> = {
  "-n": "namespace",
  "--namespace": "namespace",
  "-o": "output",
  "--output": "output",
  "-l": "selector",
  "--selector": "selector",
  "-c": "container",
  "--container": "container",
  "-f": "filename",
  "--filename": "filename",
  "--replicas": "replicas",
  "--to-revision": "to-revision",
  "--tail": "tail",
  "--since": "since",
  "--grace-period": "grace-period",
  "--context": "context",
  "--kubeconfig": "kubeconfig",
  "--timeout": "timeout",
};

const BOOLEAN_FLAGS: Record<string, string> = {
  "-A": "all-namespaces",
  "--all-namespaces": "all-namespaces",
  "--force": "force",
  "-p": "previous",
  "--previous": "previous",
  "--overwrite": "overwrite",
  "--ignore-daemonsets": "ignore-daemonsets",
  "--delete-emptydir-data": "delete-emptydir-data",
  "--delete-local-data": "delete-emptydir-data",
  "-i": "stdin",
  "--stdin": "stdin",
  "-t": "tty",
  "--tty": "tty",
  "-it": "stdin",
  "-ti": "stdin",
  "--all": "all",
};

/** A mistake in the command line itself; kubectl prints these as "error: ...". */
export class UsageError extends Error {}

/** A command that ran and failed (exec's non-zero exit); its output is printed as is. */
export class KubectlFailure extends Error {}

function wordsOf(line: string): string[] {
  try {
    return splitWords(line);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function parseKubectl(line: string): KubectlCommand {
  const [program, ...rest] = wordsOf(line);
  if (program !== "kubectl") throw new UsageError("Invalid command: Only 'kubectl' commands are allowed.");
  const dashes = rest.indexOf("--");
  const words = dashes < 0 ? rest : rest.slice(0, dashes);
  const trailing = dashes < 0 ? [] : rest.slice(dashes + 1);
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? "";
    if (!word.startsWith("-") || word === "-") {
      positional.push(word);
      continue;
    }
    const [flag = word, inline] = splitFlag(word);
    const booleanName = BOOLEAN_FLAGS[flag];
    const valueName = VALUE_FLAGS[flag];
    if (booleanName) flags.set(booleanName, inline ?? "true");
    else if (valueName) {
      const value = inline ?? words[++index];
      if (value === undefined) throw new UsageError(`flag needs an argument: ${flag}`);
      flags.set(valueName, value);
    } else throw new UsageError(`unknown flag: ${flag}`);
  }
  const [verb = "", ...args] = positional;
  if (!verb) throw new UsageError("You must specify a command: kubectl <command> [flags]");
  return { verb, words: args, flags, trailing };
}

/** "--output=yaml" → ["--output", "yaml"]; "-oyaml" → ["-o", "yaml"]; "-A" stays whole. */
function splitFlag(word: string): [string, string | undefined] {
  const equals = word.indexOf("=");
  if (equals > 0) return [word.slice(0, equals), word.slice(equals + 1)];
  if (!word.startsWith("--") && word.length > 2 && VALUE_FLAGS[word.slice(0, 2)]) {
    return [word.slice(0, 2), word.slice(2)];
  }
  return [word, undefined];
}

/** `deploy/web` or `deploy web` → [type, names]. */
export function typeAndNames(words: string[]): { type: string; names: string[] } {
  const [first = "", ...rest] = words;
  const slash = first.indexOf("/");
  if (slash > 0) {
    return {
      type: first.slice(0, slash),
      names: [first.slice(slash + 1), ...rest.map((word) => word.slice(word.indexOf("/") + 1))],
    };
  }
  return { type: first, names: rest };
}
