/**
 * Realistic events for store tests, made the way a gateway makes them: arguments redacted and
 * hashed, decisions with policy and counters, each instance's events sealed by its own EventChain.
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

export interface CallSpec {
  tool: string;
  server?: string;
  arguments?: unknown;
  outcome?: Outcome;
  rule?: string;
  /** Defaults to `ok` for allowed calls, `denied` otherwise. */
  status?: Status;
  latencyMs?: number;
  /** Epoch ms of the decision. */
  at: number;
}

export const DAY = 86_400_000;

/** A time a few days back, on the hour: inside the default retention whatever day tests run. */
export function recentHour(daysAgo = 3): number {
  const hour = 3_600_000;
  return Math.floor((Date.now() - daysAgo * DAY) / hour) * hour;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${newEventId().slice(-12)}`;
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
    return [decided, this.seal(this.completed(session, spec, callId))];
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

  private decided(session: SessionInfo, spec: CallSpec, callId: string): UnsealedEvent {
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
          basis: outcome === "rate_limited" ? "limit" : "rule",
          reason: outcome === "allow" ? "" : `${spec.tool} is not allowed for ${session.agent}`,
          counters: [],
          at: spec.at,
          policy: { name: "cluster-ops", digest: "sha256:policy" },
        },
      },
    } as UnsealedEvent;
  }

  private completed(session: SessionInfo, spec: CallSpec, callId: string): UnsealedEvent {
    const allowed = (spec.outcome ?? "allow") === "allow";
    const latencyMs = spec.latencyMs ?? 42.5;
    return {
      ...this.envelope("call.completed", spec.at + Math.ceil(latencyMs)),
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
