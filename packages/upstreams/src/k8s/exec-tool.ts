/** k8s_pod_exec: simulated command output from inside a pod's container. */
import { optionalText, text } from "../args.js";
import { execInPod } from "../cluster/exec.js";
import { requirePod } from "../cluster/store.js";
import type { SimulatedCluster } from "../cluster.js";
import { errorResult, textResult } from "../results.js";
import type { ToolHandler } from "../server.js";
import { stateOf } from "./common.js";

export function execTools(cluster: SimulatedCluster): Record<string, ToolHandler> {
  return {
    k8s_pod_exec: (args) => {
      const state = stateOf(cluster, args);
      const pod = requirePod(state, text(args, "pod_name"), optionalText(args, "namespace"));
      const result = execInPod(state, pod, optionalText(args, "container"), text(args, "command"));
      if (result.exitCode === 0) return textResult(result.output);
      return errorResult(`${result.output}\ncommand terminated with exit code ${result.exitCode}`);
    },
  };
}
