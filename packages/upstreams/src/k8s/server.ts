/** The Multi Cluster Kubernetes MCP Server's twin: its 57 tools over the simulated fleet. */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { SimulatedCluster } from "../cluster.js";
import { createToolServer, type UpstreamServerOptions } from "../server.js";
import { k8sTools } from "../tools.js";
import { clusterTools } from "./cluster-tools.js";
import { diagnoseTools } from "./diagnose.js";
import { execTools } from "./exec-tool.js";
import { listTools } from "./list-tools.js";
import { nodeTools } from "./node-tools.js";
import { objectTools } from "./object-tools.js";
import { readTools } from "./read-tools.js";
import { workloadTools } from "./workload-tools.js";

export function createK8sServer(options: UpstreamServerOptions = {}): Server {
  const cluster = options.cluster ?? new SimulatedCluster();
  return createToolServer({
    name: "k8s-multicluster-mcp",
    version: "0.1.0",
    tools: k8sTools,
    handlers: {
      ...clusterTools(cluster),
      ...readTools(cluster),
      ...listTools(cluster),
      ...workloadTools(cluster),
      ...diagnoseTools(cluster),
      ...objectTools(cluster),
      ...nodeTools(cluster),
      ...execTools(cluster),
    },
  });
}
