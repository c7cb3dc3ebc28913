/**
 * Runs a planned day through the real pure decider and records it exactly as the gateway does
 * (services/gateway/src/tool-call.ts): `call.decided` with the redacted arguments and the raw
 * arguments' hash before the upstream, `call.completed` after, `approval.requested`/`resolved` around
 * a hold, and a second `call.decided` with `approval: "granted"` once a person approves.
 *
 * Replay must reproduce every decision recorded here, so this keeps the gateway's discipline: one
 * decider state per gateway instance, every decision made in time order at its recorded time, and
 * `evolve` after each one (only allowed calls use quota). Events are sealed into each instance's
 * hash chain in time order.
 */
import {
  type CallInfo,
  EVENT_SCHEMA,
  EventChain,
  hashValue,
  type Redactor,
  type SessionInfo,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";
import { decisionRecord } from "@tollgate/gateway";
import {
  type Call,
  type CompiledPolicy,
  type Decision,
  type DecisionState,
  decide,
  evolve,
  initialState,
} from "@tollgate/policy";
import { APPROVERS, type Persona } from "./cast.js";
import type { ApprovalScript, PlannedCall, SessionPlan } from "./plan.js";
import { Random } from "./random.js";
import { emptyTally, type Tally } from "./tally.js";

export interface SimulationOptions {
  policy: CompiledPolicy;
  redact: Redactor;
  /** The upstream's id in the gateway configuration (`k8s` in the demo). */
  server: string;
  /** Gateway instance ids: each keeps its own counters and hash chain. */
  instances: Record<Persona["gateway"], string>;
  /** The gateway version events carry. */
  version: string;
  seed: number;
}

export interface Simulation {
  /** Per instance, sealed, in chain order. */
  events: TollgateEvent[];
  tally: Tally;
}

type EventBody = Omit<UnsealedEvent, "schema" | "id" | "time" | "gateway" | "chain">;

/** An event not yet sealed: sorted by time (then creation order) before it joins the chain. */
interface Pending {
  time: number;
  order: number;
  event: UnsealedEvent;
}

/** Something that happens at a time: a call arriving, or a person answering a held call. */
interface Step {
  at: number;
  order: number;
  run(time: number): void;
}

/** How a held call ends when its story did not say: approved by the first approver after a while. */
const DEFAULT_APPROVAL: ApprovalScript = { resolution: "approved", afterMs: 45_000, by: APPROVERS[0] };
const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;

class SimulatedGateway {
  readonly state: DecisionState = initialState();
  readonly pending: Pending[] = [];

  constructor(readonly instance: string) {}
}

interface LiveCall {
  gateway: SimulatedGateway;
  session: SessionInfo;
  planned: PlannedCall;
  callId: string;
  call: Call;
  /** The call as its events record it (redacted arguments, raw ones hashed): built once per call. */
  recorded: CallInfo;
}

export function simulateDay(sessions: readonly SessionPlan[], options: SimulationOptions): Simulation {
  return new DaySimulation(options).run(sessions);
}

class DaySimulation {
  private readonly ids: Random;
  private readonly gateways = new Map<string, SimulatedGateway>();
  private readonly steps: Step[] = [];
  private order = 0;
  private readonly tally: Tally = emptyTally();

  constructor(private readonly options: SimulationOptions) {
    // Ids come from their own stream, so changing a story never renumbers another's events.
    this.ids = new Random(options.seed ^ 0x5eed_1d5);
  }

  run(sessions: readonly SessionPlan[]): Simulation {
    const firstStart = Math.min(...sessions.map((session) => session.start));
    for (const name of Object.values(this.options.instances)) this.openGateway(name, firstStart - 300_000);
    for (const plan of sessions) this.schedule(plan);
    // A step may schedule another (a person's answer), always later than itself: `at` keeps the
    // queue sorted, so walking it in order is walking time.
    for (let next = 0; next < this.steps.length; next++) {
      const step = this.steps[next]!;
      step.run(step.at);
    }
    return { events: [...this.gateways.values()].flatMap(seal), tally: this.tally };
  }

  private openGateway(instance: string, startedAt: number): void {
    const gateway = new SimulatedGateway(instance);
    this.gateways.set(instance, gateway);
    const { policy } = this.options;
    this.emit(gateway, startedAt, {
      type: "policy.loaded",
      payload: { name: policy.name, digest: policy.digest, source: policy.source, previousDigest: null },
    });
  }

  private schedule(plan: SessionPlan): void {
    const gateway = this.gateways.get(this.options.instances[plan.persona.gateway])!;
    const session: SessionInfo = {
      id: this.ids.uuid(),
      agent: plan.persona.agent,
      grant: plan.persona.grant,
      client: plan.persona.client,
      transport: plan.persona.gateway === "http" ? "http" : "stdio",
    };
    this.tally.sessions += 1;
    plan.calls.forEach((planned, index) => {
      this.at(plan.start + planned.offsetMs, (time) => this.arrive(gateway, session, planned, index, time));
    });
  }

  private at(time: number, run: (time: number) => void): void {
    const step: Step = { at: time, order: this.order++, run };
    let index = this.steps.length;
    while (index > 0 && this.steps[index - 1]!.at > time) index -= 1;
    this.steps.splice(index, 0, step);
  }

  /** A tools/call reaches the gateway: as handleToolCall, with the simulated time as the clock. */
  private arrive(
    gateway: SimulatedGateway,
    session: SessionInfo,
    planned: PlannedCall,
    index: number,
    time: number,
  ): void {
    const callId = this.ids.uuidV7(time);
    const redacted = this.options.redact(planned.args);
    const live: LiveCall = {
      gateway,
      session,
      planned,
      callId,
      call: {
        server: this.options.server,
        tool: planned.tool,
        args: planned.args,
        identity: { agent: session.agent, grant: session.grant, session: session.id },
      },
      recorded: {
        id: callId,
        // The agent's JSON-RPC id: initialize and tools/list took 0 and 1.
        requestId: index + 2,
        server: this.options.server,
        tool: planned.tool,
        arguments: redacted.value,
        argumentsHash: hashValue(planned.args),
        redacted: redacted.paths,
      },
    };
    this.tally.calls += 1;
    if (redacted.paths.length > 0) this.tally.redactedCalls += 1;
    const decision = this.decideAndRecord(live, time);
    if (decision.outcome === "approval_required") this.hold(live, decision, time);
    else this.settle(live, decision, time);
    this.count(live, decision);
  }

  private decideAndRecord(live: LiveCall, time: number): Decision {
    const { policy } = this.options;
    const decision = decide(policy, live.gateway.state, live.call, time);
    evolve(live.gateway.state, decision);
    this.emit(live.gateway, time, {
      type: "call.decided",
      session: live.session,
      payload: {
        call: live.recorded,
        decision: decisionRecord(decision, { name: policy.name, digest: policy.digest }, live.call.approval),
      },
    });
    return decision;
  }

  /** After a decision other than a hold: forward (and complete) or refuse. */
  private settle(live: LiveCall, decision: Decision, time: number): void {
    if (decision.outcome !== "allow") {
      this.complete(live, time, "denied", this.ids.between(0.002, 0.04), 0);
      return;
    }
    const { answer } = live.planned;
    this.complete(live, time + answer.latencyMs, answer.status, answer.latencyMs, answer.resultBytes);
  }

  private hold(live: LiveCall, decision: Decision, time: number): void {
    const timeoutMs = decision.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
    const approvalId = this.ids.uuidV7(time);
    this.emit(live.gateway, time, {
      type: "approval.requested",
      session: live.session,
      payload: {
        callId: live.callId,
        approvalId,
        rule: decision.rule,
        reason: decision.reason,
        expiresAt: time + timeoutMs,
      },
    });
    const script = live.planned.approval ?? DEFAULT_APPROVAL;
    const waited =
      script.resolution === "timed_out" ? timeoutMs : Math.min(script.afterMs, timeoutMs - 1_000);
    this.at(time + waited, (answeredAt) => this.answer(live, approvalId, script, answeredAt));
  }

  /** A person (or the timeout) answers a held call. */
  private answer(live: LiveCall, approvalId: string, script: ApprovalScript, time: number): void {
    const by = script.resolution === "timed_out" ? undefined : (script.by ?? APPROVERS[0]);
    this.emit(live.gateway, time, {
      type: "approval.resolved",
      session: live.session,
      payload: {
        callId: live.callId,
        approvalId,
        resolution: script.resolution,
        ...(by === undefined ? {} : { by }),
        ...(script.note === undefined ? {} : { note: script.note }),
      },
    });
    this.tally.resolutions[script.resolution] += 1;
    if (script.resolution !== "approved") {
      this.complete(live, time, "denied", this.ids.between(0.002, 0.04), 0);
      return;
    }
    const approved: LiveCall = { ...live, call: { ...live.call, approval: "granted" } };
    this.settle(approved, this.decideAndRecord(approved, time), time);
  }

  private complete(
    live: LiveCall,
    time: number,
    status: "ok" | "tool_error" | "denied",
    latencyMs: number,
    resultBytes: number,
  ): void {
    this.emit(live.gateway, Math.round(time), {
      type: "call.completed",
      session: live.session,
      payload: { callId: live.callId, status, latencyMs, resultBytes },
    });
  }

  private count(live: LiveCall, decision: Decision): void {
    const { tally } = this;
    tally.outcomes[decision.outcome] += 1;
    if (decision.outcome === "rate_limited") {
      const entry = tally.rateLimitedSessions.get(live.session.id) ?? {
        session: live.session.id,
        agent: live.session.agent,
        tool: live.planned.tool,
        calls: 0,
      };
      entry.calls += 1;
      tally.rateLimitedSessions.set(live.session.id, entry);
    }
  }

  private emit(gateway: SimulatedGateway, time: number, body: EventBody): void {
    const event = {
      schema: EVENT_SCHEMA,
      id: this.ids.uuidV7(time),
      time,
      gateway: { instance: gateway.instance, version: this.options.version },
      ...body,
    } as UnsealedEvent;
    gateway.pending.push({ time, order: this.order++, event });
  }
}

/** Seals a gateway's events into its chain in the order they happened. */
function seal(gateway: SimulatedGateway): TollgateEvent[] {
  const chain = new EventChain();
  return gateway.pending
    .sort((a, b) => a.time - b.time || a.order - b.order)
    .map((pending) => chain.seal(pending.event));
}
