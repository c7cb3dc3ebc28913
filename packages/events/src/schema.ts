/**
 * The event model, schema first: every event is one envelope with a versioned `schema`, a
 * time-ordered id, the gateway instance, the session, a per-instance hash chain and a typed payload.
 * The TypeScript types are inferred from these schemas, so what is validated at ingest is exactly
 * what the gateway writes.
 */
import { z } from "zod";

export const EVENT_SCHEMA = "tollgate.event/v1";

const CounterUse = z.object({
  counter: z.string(),
  scope: z.enum(["grant", "session", "agent", "global"]),
  subject: z.string(),
  limit: z.string(),
  windowMs: z.number(),
  max: z.number(),
  algorithm: z.enum(["sliding", "fixed"]),
  used: z.number(),
});

const Outcome = z.enum(["allow", "deny", "rate_limited", "approval_required"]);
const Basis = z.enum(["rule", "default", "arguments", "limit", "approval", "shadow_mode"]);

const Verdict = z.object({
  outcome: Outcome,
  rule: z.string(),
  basis: Basis,
  reason: z.string(),
  counters: z.array(CounterUse),
});

export const DecisionRecord = Verdict.extend({
  at: z.number(),
  approvalTimeoutMs: z.number().optional(),
  /** Set on the re-decision of a held call after a person approved it. */
  approval: z.literal("granted").optional(),
  shadow: Verdict.optional(),
  policy: z.object({ name: z.string(), digest: z.string() }),
});

export const SessionInfo = z.object({
  id: z.string(),
  agent: z.string(),
  grant: z.string(),
  client: z.object({ name: z.string(), version: z.string() }).optional(),
  transport: z.enum(["stdio", "http"]),
});

export const CallInfo = z.object({
  /** The call's own id (UUIDv7), shared by all events about the call. */
  id: z.string(),
  /** The JSON-RPC id as the agent sent it. */
  requestId: z.union([z.string(), z.number()]),
  server: z.string(),
  tool: z.string(),
  /** Arguments after redaction. */
  arguments: z.unknown(),
  /** sha256 of the raw arguments' canonical JSON: proves what was sent without keeping secrets. */
  argumentsHash: z.string(),
  redacted: z.array(z.string()),
});

const Chain = z.object({ seq: z.number().int().min(0), prev: z.string().nullable(), hash: z.string() });

const envelope = <T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({
    schema: z.literal(EVENT_SCHEMA),
    id: z.uuid(),
    type: z.literal(type),
    /** Epoch milliseconds when the gateway made the event. */
    time: z.number(),
    gateway: z.object({ instance: z.string(), version: z.string() }),
    session: SessionInfo.optional(),
    chain: Chain,
    payload,
  });

export const CallDecided = envelope("call.decided", z.object({ call: CallInfo, decision: DecisionRecord }));

export const CallCompleted = envelope(
  "call.completed",
  z.object({
    callId: z.string(),
    /** `denied`: refused by the policy (or an approver) and never sent upstream. */
    status: z.enum(["ok", "tool_error", "error", "denied", "cancelled", "timeout", "upstream_unavailable"]),
    latencyMs: z.number(),
    resultBytes: z.number(),
    error: z.object({ code: z.number().optional(), message: z.string() }).optional(),
  }),
);

export const ApprovalRequested = envelope(
  "approval.requested",
  z.object({
    callId: z.string(),
    approvalId: z.string(),
    rule: z.string(),
    reason: z.string(),
    expiresAt: z.number(),
  }),
);

export const ApprovalResolved = envelope(
  "approval.resolved",
  z.object({
    callId: z.string(),
    approvalId: z.string(),
    resolution: z.enum(["approved", "denied", "timed_out"]),
    by: z.string().optional(),
    note: z.string().optional(),
  }),
);

export const PolicyLoaded = envelope(
  "policy.loaded",
  z.object({
    name: z.string(),
    digest: z.string(),
    source: z.string(),
    previousDigest: z.string().nullable(),
  }),
);

export const PolicyRejected = envelope(
  "policy.rejected",
  z.object({
    source: z.string(),
    keptDigest: z.string().nullable(),
    problems: z.array(z.object({ path: z.string(), line: z.number().optional(), message: z.string() })),
  }),
);

export const TollgateEvent = z.discriminatedUnion("type", [
  CallDecided,
  CallCompleted,
  ApprovalRequested,
  ApprovalResolved,
  PolicyLoaded,
  PolicyRejected,
]);

export type TollgateEvent = z.infer<typeof TollgateEvent>;
export type EventType = TollgateEvent["type"];
export type EventOfType<T extends EventType> = Extract<TollgateEvent, { type: T }>;
export type PayloadOf<T extends EventType> = EventOfType<T>["payload"];
export type SessionInfo = z.infer<typeof SessionInfo>;
export type CallInfo = z.infer<typeof CallInfo>;
export type DecisionRecord = z.infer<typeof DecisionRecord>;
