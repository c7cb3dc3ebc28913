/** What the k8s tools share: resolving the context argument and the namespace default. */

import { optionalText, text } from "../args.js";
import type { ClusterState } from "../cluster/model.js";
import type { SimulatedCluster } from "../cluster.js";
import type { ToolArguments } from "../validation.js";

export function stateOf(cluster: SimulatedCluster, args: ToolArguments): ClusterState {
  return cluster.context(text(args, "context"));
}

/** Like kubectl, an omitted namespace means "default". */
export function namespaceOf(args: ToolArguments, key = "namespace"): string {
  return optionalText(args, key) ?? "default";
}
