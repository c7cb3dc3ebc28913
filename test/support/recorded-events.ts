/**
 * Realistic events, made the way a gateway makes them: arguments redacted and hashed, decisions
 * with policy and counters, approvals requested and resolved, each instance's events sealed by its
 * own EventChain. Shared by the store's and the API's tests.
 */
import {
  createRedactor,
  EVENT_SCHEMA,
  EventChain,
  type EventOfType,
  hashValue,
  newEventId,
  type SessionInfo,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";

type Decided = EventOfType<"call.decided">;
type Completed = EventOfType<"call.completed">;
type Outcome = Decided["payload"]["decision"]["outcome"];
type Status = Completed["payload"]["status"];
type CounterUse = Decided["payload"]["decision"]["counters"][number];

export interface CallSpec {
  tool: string;
  server?: string;
  arguments?: unknown;
  outcome?: Outcome;
  rule?: string;
  reason?: string;
  counters?: CounterUse[];
  /** Defaults to `ok` for allowed calls, `denied` otherwise. */
  status?: Status;
  latencyMs?: number;
  /** Epoch ms of the decision. */
  at: number;
}

export interface ApprovalSpec extends Omit<CallSpec, "outcome" | "status"> {
  resolution: "approved" | "denied" | "timed_out";
  by?: string;
  note?: string;
}

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A time a few days back, on the hour: inside the default retention whatever day tests run. */
export function recentHour(daysAgo = 3): number {
  return Math.floor((Date.now() - daysAgo * DAY) / HOUR) * HOUR;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${newEventId().slice(-12)}`;
}

export function limitCounter(
  counter: string,
  limit: string,
  scope: CounterUse["scope"],
  subject: string,
  max: number,
) {
  return {
    counter,
    scope,
    subject,
    limit,
    windowMs: MINUTE,
    max,
    algorithm: "sliding",
    used: max,
  } satisfies CounterUse;
}

const redact = createRedactor();

/** One gateway instance: it numbers and chains everything it emits, in order. */
export class TestGateway {
  private readonly chain = new EventChain();
  private sessionCount = 0;

  constructor(readonly instance: string = uniqueName("gw")) {}

  session(agent: string, grant = `${agent}-grant`): SessionInfo {
    this.sessionCount += 1;
    return {
      id: `${this.instance}-s${this.sessionCount}-${newEventId()}`,
      agent,
      grant,
      client: { name: "claude-code", version: "2.1.0" },
      transport: "http",
    };
  }

  /** A call.decided and, unless the call waits for approval, its call.completed. */
  call(session: SessionInfo, spec: CallSpec): TollgateEvent[] {
    const callId = newEventId();
    const decided = this.seal(this.decided(session, spec, callId));
    if (spec.outcome === "approval_required") return [decided];
    return [
      decided,
      this.seal(this.completed(session, spec, callId, spec.at + Math.ceil(spec.latencyMs ?? 42.5))),
    ];
  }

  /**
   * A held call as the gateway records it: approval_required, approval.requested, approval.resolved,
   * then (approved) the re-decision and the completion, or (otherwise) a denied completion.
   */
  heldCall(session: SessionInfo, spec: ApprovalSpec): TollgateEvent[] {
    const callId = newEventId();
    const approvalId = newEventId();
    const rule = spec.rule ?? `tools.${spec.tool}`;
    const held = {
      ...spec,
      outcome: "approval_required" as const,
      rule,
      reason: `${spec.tool} needs approval`,
    };
    const events = [
      this.seal(this.decided(session, held, callId)),
      this.seal({
        ...this.envelope("approval.requested", spec.at + 1),
        session,
        payload: { callId, approvalId, rule, reason: held.reason, expiresAt: spec.at + 300_000 },
      } as UnsealedEvent),
      this.seal({
        ...this.envelope("approval.resolved", spec.at + 5_000),
        session,
        payload: {
          callId,
          approvalId,
          resolution: spec.resolution,
          ...(spec.by === undefined ? {} : { by: spec.by }),
          ...(spec.note === undefined ? {} : { note: spec.note }),
        },
      } as UnsealedEvent),
    ];
    if (spec.resolution !== "approved") {
      events.push(this.seal(this.completed(session, { ...spec, outcome: "deny" }, callId, spec.at + 5_001)));
      return events;
    }
    const granted = { ...spec, outcome: "allow" as const, rule, at: spec.at + 5_001 };
    events.push(this.seal(this.decided(session, granted, callId, "granted")));
    events.push(this.seal(this.completed(session, granted, callId, spec.at + 5_050)));
    return events;
  }

  policyLoaded(at: number): TollgateEvent {
    return this.seal({
      ...this.envelope("policy.loaded", at),
      payload: {
        name: "cluster-ops",
        digest: hashValue({ at }),
        source: "policy.json",
        previousDigest: null,
      },
    } as UnsealedEvent);
  }

  private decided(session: SessionInfo, spec: CallSpec, callId: string, approval?: "granted"): UnsealedEvent {
    const raw = spec.arguments ?? { namespace: "default" };
    const { value, paths } = redact(raw);
    const outcome = spec.outcome ?? "allow";
    const rule = spec.rule ?? (outcome === "allow" ? `tools.${spec.tool}` : "default");
    return {
      ...this.envelope("call.decided", spec.at),
      session,
      payload: {
        call: {
          id: callId,
          requestId: 7,
          server: spec.server ?? "k8s",
          tool: spec.tool,
          arguments: value,
          argumentsHash: hashValue(raw),
          redacted: paths,
        },
        decision: {
          outcome,
          rule,
          basis: outcome === "rate_limited" ? "limit" : outcome === "approval_required" ? "approval" : "rule",
          reason:
            spec.reason ?? (outcome === "allow" ? "" : `${spec.tool} is not allowed for ${session.agent}`),
          counters: spec.counters ?? [],
          at: spec.at,
          ...(approval === undefined ? {} : { approval }),
          policy: { name: "cluster-ops", digest: "sha256:policy" },
        },
      },
    } as UnsealedEvent;
  }

  private completed(session: SessionInfo, spec: CallSpec, callId: string, at: number): UnsealedEvent {
    const allowed = (spec.outcome ?? "allow") === "allow";
    const latencyMs = spec.latencyMs ?? 42.5;
    return {
      ...this.envelope("call.completed", at),
      session,
      payload: {
        callId,
        status: spec.status ?? (allowed ? "ok" : "denied"),
        latencyMs: allowed ? latencyMs : 0,
        resultBytes: allowed ? 512 : 0,
      },
    } as UnsealedEvent;
  }

  private envelope(type: TollgateEvent["type"], at: number) {
    return {
      schema: EVENT_SCHEMA,
      id: newEventId(),
      type,
      time: at,
      gateway: { instance: this.instance, version: "0.1.0" },
    };
  }

  private seal(event: UnsealedEvent): TollgateEvent {
    return this.chain.seal(event);
  }
}
