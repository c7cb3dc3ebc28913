/**
 * A live gateway in miniature: decides a trace with decide/evolve on the wall-clock times given,
 * the way services/gateway's Enforcer does (one state per instance, approvals re-decided with
 * `approval: "granted"`), and records each decision as replay reads it back.
 */
import type { Call, CompiledPolicy, DecisionState } from "@tollgate/policy";
import { decide, evolve, initialState } from "@tollgate/policy";
import type { RecordedCall } from "../../src/index.js";

export interface LiveCall {
  at: number;
  call: Call;
  /** For a call the policy holds: whether a person approves it (at the same time). */
  approve?: boolean;
}

export class LiveGateway {
  private state: DecisionState = initialState();
  private seq = 0;
  readonly recorded: RecordedCall[] = [];

  constructor(
    private policy: CompiledPolicy,
    private readonly instance = "gw-1",
  ) {}

  /** A reload: the counters carry over, as in the Enforcer. */
  reload(policy: CompiledPolicy): void {
    this.policy = policy;
  }

  handle(live: LiveCall, callId = `call-${this.seq}`): void {
    // What arrives over the wire is JSON; the gateway records `args ?? {}`.
    const args = JSON.parse(JSON.stringify(live.call.args ?? {})) as unknown;
    const call: Call = { ...live.call, args };
    const first = this.decideAndRecord(call, live.at, callId);
    if (first === "approval_required" && live.approve === true) {
      this.decideAndRecord({ ...call, approval: "granted" }, live.at, callId);
    }
  }

  private decideAndRecord(call: Call, at: number, callId: string): string {
    const decision = decide(this.policy, this.state, call, at);
    this.state = evolve(this.state, decision);
    const seq = this.seq++;
    this.recorded.push({
      eventId: `event-${this.instance}-${seq}`,
      callId,
      instance: this.instance,
      seq,
      at,
      session: call.identity.session,
      agent: call.identity.agent,
      grant: call.identity.grant,
      server: call.server ?? "",
      tool: call.tool,
      argumentsJson: JSON.stringify(call.args),
      argumentsAreObject: typeof call.args === "object" && call.args !== null && !Array.isArray(call.args),
      redacted: false,
      approved: call.approval === "granted",
      digest: this.policy.digest,
      recorded: { outcome: decision.outcome, rule: decision.rule, basis: decision.basis },
      recordedShadow:
        decision.shadow === undefined
          ? undefined
          : { outcome: decision.shadow.outcome, rule: decision.shadow.rule },
    });
    return decision.outcome;
  }
}
