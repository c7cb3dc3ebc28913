/**
 * @tollgate/upstreams: fixture MCP servers with the seed servers' exact tools (the Multi Cluster
 * Kubernetes MCP Server and the OCM MCP Server), answering from a deterministic simulated fleet.
 */
export { SimulatedCluster, type SimulatedClusterOptions } from "./cluster.js";
export { type UpstreamCommand, upstreamCommand } from "./command.js";
export { type HttpUpstream, type ServeHttpOptions, serveHttp } from "./http.js";
export { createK8sServer } from "./k8s/server.js";
export { createOcmServer } from "./ocm/server.js";
export type { UpstreamServerOptions } from "./server.js";
export { k8sTools, ocmTools } from "./tools.js";
export type { UpstreamKind } from "./upstream.js";
