/** @tollgate/gateway: the MCP interceptor. */
export { ApprovalDesk, type ApprovalResolution, type PendingApproval } from "./approvals.js";
export { QUALIFIER } from "./catalog.js";
export {
  adminsOf,
  agentsOf,
  ConfigError,
  type GatewayConfig,
  parseListen,
  readGatewayConfig,
  upstreamsOf,
} from "./config.js";
export { META_PREFIX } from "./core.js";
export { GATEWAY_VERSION, Gateway, type GatewayOptions } from "./gateway.js";
export { type HttpGateway, type HttpOptions, serveHttp } from "./http.js";
export { type AdminCredential, type AgentCredential, sha256Hex } from "./identity.js";
export type { OverflowChoice } from "./recorder.js";
export { type StdioIdentity, serveStdio } from "./stdio.js";
export { decisionRecord } from "./tool-call.js";
export type { UpstreamSpec } from "./upstream.js";
