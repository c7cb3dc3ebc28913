/** The OCM MCP Server's twin: clusters, connect_cluster, kube_executor and prometheus over the fleet. */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { optionalText, text } from "../args.js";
import { SimulatedCluster } from "../cluster.js";
import { errorResult, textResult } from "../results.js";
import { createToolServer, type UpstreamServerOptions } from "../server.js";
import { ocmTools } from "../tools.js";
import type { ToolArguments } from "../validation.js";
import { clustersTable, connectCluster, contextFor } from "./clusters.js";
import { applyYamlCommand, type KubectlOutcome, runKubectl } from "./kubectl/run.js";
import { runPrometheus } from "./prometheus.js";

/** These tools declare an outputSchema of `{result: string}`, so every answer carries it as structuredContent. */
function resultOf(result: string, isError = false): CallToolResult {
  return {
    content: [{ type: "text", text: result }],
    structuredContent: { result },
    ...(isError ? { isError } : {}),
  };
}

function failure(tool: Tool, message: string): CallToolResult {
  return tool.outputSchema ? resultOf(message, true) : errorResult(message);
}

function kubeExecutor(cluster: SimulatedCluster, args: ToolArguments): CallToolResult {
  const command = optionalText(args, "command");
  const yaml = optionalText(args, "yaml");
  if (!command && !yaml)
    return resultOf("Error running kube executor: Either 'command' or 'yaml' must be provided.", true);
  if (command && yaml)
    return resultOf("Error running kube executor: Provide only one of 'command' or 'yaml', not both.", true);
  const state = cluster.context(contextFor(cluster, optionalText(args, "cluster")));
  const outcome: KubectlOutcome = command ? runKubectl(state, command) : applyYamlCommand(state, yaml ?? "");
  const output = outcome.output || "Run kube executor successfully, but no output returned.";
  return resultOf(output, !outcome.ok);
}

export function createOcmServer(options: UpstreamServerOptions = {}): Server {
  const cluster = options.cluster ?? new SimulatedCluster();
  return createToolServer({
    name: "multicluster-mcp-server",
    version: "0.1.0",
    tools: ocmTools,
    failure,
    handlers: {
      clusters: () => resultOf(clustersTable(cluster)),
      connect_cluster: (args) => {
        const role = optionalText(args, "cluster_role") ?? "cluster-admin";
        const path = connectCluster(cluster, text(args, "cluster"), role);
        return resultOf(
          `Successfully connected to cluster ${text(args, "cluster")} with ClusterRole ${role}. KUBECONFIG: ${path}`,
        );
      },
      kube_executor: (args) => kubeExecutor(cluster, args),
      prometheus: (args) => {
        const state = cluster.context(contextFor(cluster, optionalText(args, "cluster")));
        return textResult(
          runPrometheus(state, {
            ql: text(args, "ql"),
            dataType: optionalText(args, "data_type") ?? "snapshot",
            groupBy: optionalText(args, "group_by") ?? "pod",
            unit: optionalText(args, "unit") ?? "auto",
            start: optionalText(args, "start"),
            end: optionalText(args, "end"),
            step: optionalText(args, "step"),
          }),
        );
      },
    },
  });
}
