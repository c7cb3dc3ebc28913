/**
 * @tollgate/api: the forensics API over the event store — sessions, timelines, calls, argument
 * search, rollups, events with their hash-chain position, approvals (through the gateway), replay
 * reports, and a read-only SQL console. The query functions are exported too: the CLI runs the
 * same ones.
 */
export { API_PREFIX, createApi } from "./app.js";
export {
  ADMIN_TOKEN_ENV,
  type ApiCredential,
  credentialsFromEnv,
  READ_TOKEN_ENV,
  type Role,
  sha256Hex,
} from "./auth.js";
export { type ApiClient, type ApiReply, inProcessApi, remoteApi } from "./client.js";
export { ApiError, type ErrorBody } from "./errors.js";
export type { GatewayControl, PendingApproval } from "./gateway-control.js";
export {
  isQueryName,
  NEEDS_ID,
  namedQueryPath,
  QUERY_NAMES,
  type QueryName,
  type QueryParams,
} from "./named.js";
export type { ApiOptions, StartApiOptions } from "./options.js";
export {
  type ArgumentSearch,
  type CallPage,
  type CallRow,
  type FoundCall,
  listCalls,
  searchCalls,
} from "./queries/calls.js";
export { type ChainPosition, type EventDetail, eventDetail } from "./queries/event.js";
export { type Bucket, type Overview, overview } from "./queries/overview.js";
export {
  rollupAgents,
  rollupApprovals,
  rollupHours,
  rollupRateLimits,
  rollupTools,
} from "./queries/rollups.js";
export { listSessions, type SessionSummary } from "./queries/sessions.js";
export { sessionTimeline, type TimelineEntry } from "./queries/timeline.js";
export type { CallFilter } from "./queries/where.js";
export { DEFAULT_API_PORT, type RunningApi, startApi } from "./server.js";
export { SqlConsole, type SqlResult } from "./sql/console.js";
export { SqlRefused } from "./sql/guard.js";
