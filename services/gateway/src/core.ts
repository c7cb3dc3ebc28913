/** What every gateway session shares: the policy shell, the event recorder, the approval desk. */
import type { Redactor, SessionInfo } from "@tollgate/events";
import type { ApprovalDesk } from "./approvals.js";
import type { Enforcer } from "./enforcer.js";
import type { EventRecorder } from "./recorder.js";
import type { UpstreamSpec } from "./upstream.js";

export interface GatewayCore {
  enforcer: Enforcer;
  recorder: EventRecorder;
  approvals: ApprovalDesk;
  redact: Redactor;
  upstreams: UpstreamSpec[];
  /** How often a held call tells the agent it is still waiting, when the agent asked for progress. */
  approvalProgressMs: number;
  /** How long an allowed tools/call may take upstream before it is cancelled and recorded as a timeout. */
  callTimeoutMs: number;
  version: string;
  log(message: string): void;
}

export type SessionContext = Omit<SessionInfo, "client">;

/** tollgate's own data in results (`_meta`) lives under this prefix. */
export const META_PREFIX = "tollgate.dev/";
