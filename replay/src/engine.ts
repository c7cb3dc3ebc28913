/**
 * The replay fold: recorded calls in, comparisons out, with the same pure decider the gateway uses
 * and the recorded times as `now`. No I/O and no clock, so a test can feed it any trace.
 *
 * Each gateway instance kept its own counters, so each gets its own three states:
 * - `baseline`: the live policy (chosen per call by the recorded digest), charged as recorded. Its
 *   decisions are the self-check: they must equal the recorded ones.
 * - `history`: during the warm-up only, the candidate charged as recorded: the counters the
 *   candidate starts the window with.
 * - `candidate`: the candidate, charged by its own decisions: what would have happened.
 * A call that changed, but that the candidate decides as before on the recorded counters (the
 * baseline's state), changed only because earlier calls changed: a rate-limit cascade. Calls
 * without a baseline are never called cascades (and fail coverage unless allowed).
 * Two decisions per call in the window (baseline and candidate), a third only for changed calls.
 */
import {
  type Call,
  type CompiledPolicy,
  cloneState,
  type Decision,
  type DecisionState,
  decide,
  evolve,
  type Identity,
  initialState,
  pruneState,
  readsArguments,
} from "@tollgate/policy";
import { type Category, categoryOf } from "./categories.js";
import type { RecordedCall, RecordedShadow, RecordedVerdict } from "./recorded.js";

export interface ReplayPolicies {
  candidate: CompiledPolicy;
  /** The policies that were live, by digest: the self-check replays each call with its own. */
  baselines: ReadonlyMap<string, CompiledPolicy>;
}

/** A replayed first decision of a call in the window. */
export interface Comparison {
  call: RecordedCall;
  before: Category;
  after: Category;
  decision: Decision;
  /** Changed, but the candidate on the recorded counters decides as before. */
  cascade: boolean;
  /** Not replayed (see `unreplayable`): the recorded decision stands for the candidate's. */
  replayed: boolean;
}

export interface Mismatch {
  call: RecordedCall;
  replayed: Pick<Decision, "outcome" | "rule" | "basis" | "reason">;
  replayedShadow: RecordedShadow | undefined;
}

export interface ReplayObserver {
  /** The comparison object is refilled for the next call: keep copies of it, not the object. */
  compared(comparison: Comparison): void;
  /** A baseline decision that differs from the recorded one. */
  mismatch(mismatch: Mismatch): void;
  /** A recorded decision the baseline reproduced. */
  verified(call: RecordedCall): void;
  /** A call recorded under a policy digest no baseline has. */
  unverified(call: RecordedCall): void;
  /** A re-decision after a person's approval: replayed, but not a call of its own. */
  approval(call: RecordedCall): void;
  /** A call whose decision cannot be replayed faithfully, and why. */
  unreplayable(call: RecordedCall, reason: string): void;
}

interface InstanceState {
  baseline: DecisionState;
  history: DecisionState;
  candidate: DecisionState;
  /** Calls the candidate holds for approval, by call id, with the time they were held. */
  held: Map<string, number>;
  sincePrune: number;
  /** Whether this instance's calls have reached the window (its warm-up is over). */
  inWindow: boolean;
}

export const REDACTED_ARGUMENTS =
  "arguments were redacted and a policy checks this tool's arguments: the decider would not see what the gateway saw";

/** Held calls older than this are forgotten: no approval waits a day. */
const HOLD_MEMORY_MS = 86_400_000;
/** Calls of an instance between two tidy-ups: rare enough to cost nothing, often enough to bound memory. */
const PRUNE_EVERY = 100_000;
/** Stands for object arguments nobody reads; frozen so that no check could ever fill it. */
const UNREAD_ARGUMENTS = Object.freeze({});
/** Stands for non-object arguments nobody reads: the decider refuses them whatever they were. */
const NOT_AN_OBJECT: readonly unknown[] = Object.freeze([]);

export class Replayer {
  private readonly instances = new Map<string, InstanceState>();
  private readonly argumentsRead = new Map<string, boolean>();
  private readonly decided: Call & { identity: Identity } = {
    tool: "",
    identity: { agent: "", grant: "", session: "" },
  };
  /** Refilled for every call, like `decided`: observers copy what they keep. */
  private readonly comparison: Comparison = {
    call: undefined as unknown as RecordedCall, // set before every use
    before: "allow",
    after: "allow",
    decision: undefined as unknown as Decision, // set before every use
    cascade: false,
    replayed: false,
  };
  /** The baseline of the call before: calls come in long runs of one digest. */
  private lastBaseline: { digest: string; policy: CompiledPolicy | undefined } = {
    digest: "",
    policy: undefined,
  };
  /** The instance of the call before: sources hand over each instance's calls in runs. */
  private last: { id: string; state: InstanceState } | undefined;

  constructor(
    private readonly policies: ReplayPolicies,
    private readonly observer: ReplayObserver,
    /** Calls of an instance between two tidy-ups; tests set it low so that pruning is exercised. */
    private readonly pruneEvery = PRUNE_EVERY,
  ) {}

  /** Whether any policy of this replay reads the tool's arguments (memoised per server and tool). */
  readsArguments(server: string, tool: string): boolean {
    const key = `${server}\u0000${tool}`;
    let reads = this.argumentsRead.get(key);
    if (reads === undefined) {
      const policies = [this.policies.candidate, ...this.policies.baselines.values()];
      reads = policies.some((policy) => readsArguments(policy, server, tool));
      this.argumentsRead.set(key, reads);
    }
    return reads;
  }

  /** A call before the window: it only builds the counters the window starts with. */
  warm(call: RecordedCall): void {
    const instance = this.instanceOf(call.instance);
    if (instance.inWindow) {
      throw new Error(
        `replay: instance ${call.instance} seq ${call.seq} comes before the window after calls inside it; calls must come in each instance's order`,
      );
    }
    const decided = this.toCall(call);
    const baseline = this.baselineOf(call.digest);
    if (baseline !== undefined)
      chargeAsRecorded(instance.baseline, decide(baseline, instance.baseline, decided, call.at), call);
    chargeAsRecorded(
      instance.history,
      decide(this.policies.candidate, instance.history, decided, call.at),
      call,
    );
    if (call.approved) instance.held.delete(call.callId);
    else if (call.recorded.outcome === "approval_required") instance.held.set(call.callId, call.at);
    this.tidy(instance, call.at);
  }

  replay(call: RecordedCall): void {
    const instance = this.instanceOf(call.instance);
    if (!instance.inWindow) {
      // The candidate takes over the counters the recorded traffic left at the window's start.
      instance.inWindow = true;
      instance.candidate = cloneState(instance.history);
    }
    const decided = this.toCall(call);
    const replayable = !(call.redacted && this.readsArguments(call.server, call.tool));
    if (!replayable) this.observer.unreplayable(call, REDACTED_ARGUMENTS);
    const baseline = this.baselineOf(call.digest);
    const baselineDecision =
      baseline === undefined ? undefined : decide(baseline, instance.baseline, decided, call.at);
    if (baselineDecision === undefined) this.observer.unverified(call);
    else if (replayable) this.compareWithRecording(baselineDecision, call);
    if (call.approved) {
      this.observer.approval(call);
      this.replayApproval(instance, decided, call);
    } else {
      this.compare(instance, decided, call, replayable);
    }
    // Last: until now `instance.baseline` holds the counters as they were before this call.
    if (baselineDecision !== undefined) chargeAsRecorded(instance.baseline, baselineDecision, call);
    this.tidy(instance, call.at);
  }

  private compare(instance: InstanceState, decided: Call, call: RecordedCall, replayable: boolean): void {
    const { candidate } = this.policies;
    const fresh = decide(candidate, instance.candidate, decided, call.at);
    const decision = replayable ? fresh : asRecorded(fresh, call);
    evolve(instance.candidate, decision);
    if (decision.outcome === "approval_required") this.hold(instance, call);
    const before = categoryOf(call.recorded.outcome, call.recorded.basis);
    const after = categoryOf(decision.outcome, decision.basis);
    const comparison = this.comparison;
    comparison.call = call;
    comparison.before = before;
    comparison.after = after;
    comparison.decision = decision;
    comparison.cascade = before !== after && this.decidesAsBefore(instance, decided, call, before);
    comparison.replayed = replayable;
    this.observer.compared(comparison);
  }

  /** The candidate on the counters the recorded traffic left (the baseline's state). */
  private decidesAsBefore(
    instance: InstanceState,
    decided: Call,
    call: RecordedCall,
    before: Category,
  ): boolean {
    if (this.baselineOf(call.digest) === undefined) return false;
    const onRecorded = decide(this.policies.candidate, instance.baseline, decided, call.at);
    return categoryOf(onRecorded.outcome, onRecorded.basis) === before;
  }

  /** The decision after a person approved a held call applies only if the candidate held it too. */
  private replayApproval(instance: InstanceState, decided: Call, call: RecordedCall): void {
    if (!instance.held.delete(call.callId)) return;
    evolve(instance.candidate, decide(this.policies.candidate, instance.candidate, decided, call.at));
  }

  private compareWithRecording(decision: Decision, call: RecordedCall): void {
    const shadow = decision.shadow;
    const replayedShadow = shadow === undefined ? undefined : { outcome: shadow.outcome, rule: shadow.rule };
    if (sameVerdict(call.recorded, decision) && sameShadow(call.recordedShadow, replayedShadow)) {
      this.observer.verified(call);
    } else {
      this.observer.mismatch({ call, replayed: decision, replayedShadow });
    }
  }

  private hold(instance: InstanceState, call: RecordedCall): void {
    instance.held.set(call.callId, call.at);
  }

  /**
   * Now and then, forgets what can no longer matter: counters past their windows (as the gateway
   * does; sessions come and go, so they would otherwise pile up over a long window) and held calls
   * nobody approved within a day. Memory follows the traffic in flight, not the calls replayed.
   */
  private tidy(instance: InstanceState, now: number): void {
    if (++instance.sincePrune < this.pruneEvery) return;
    instance.sincePrune = 0;
    pruneState(instance.baseline, now);
    pruneState(instance.history, now);
    if (instance.inWindow) pruneState(instance.candidate, now);
    for (const [callId, at] of instance.held) {
      if (at < now - HOLD_MEMORY_MS) instance.held.delete(callId);
    }
  }

  /**
   * The call as the decider takes it. One object, refilled for every call: the decider keeps
   * nothing of it (decisions hold their own strings), and two allocations less per call count.
   */
  private toCall(call: RecordedCall): Call {
    const decided = this.decided;
    decided.server = call.server;
    decided.tool = call.tool;
    decided.args =
      call.argumentsJson !== undefined
        ? (JSON.parse(call.argumentsJson) as unknown)
        : call.argumentsAreObject
          ? UNREAD_ARGUMENTS
          : NOT_AN_OBJECT;
    decided.identity.agent = call.agent;
    decided.identity.grant = call.grant;
    decided.identity.session = call.session;
    decided.approval = call.approved ? "granted" : undefined;
    return decided;
  }

  /** The live policy a call was decided under, by its recorded digest; undefined if none was given. */
  private baselineOf(digest: string): CompiledPolicy | undefined {
    const last = this.lastBaseline;
    if (last.digest !== digest) {
      last.digest = digest;
      last.policy = this.policies.baselines.get(digest);
    }
    return last.policy;
  }

  private instanceOf(id: string): InstanceState {
    if (this.last?.id === id) return this.last.state;
    let instance = this.instances.get(id);
    if (instance === undefined) {
      instance = {
        baseline: initialState(),
        history: initialState(),
        candidate: initialState(),
        held: new Map(),
        sincePrune: 0,
        inWindow: false,
      };
      this.instances.set(id, instance);
    }
    this.last = { id, state: instance };
    return instance;
  }
}

/** Charges the counters a decision evaluated exactly when the recorded call was let through. */
function chargeAsRecorded(state: DecisionState, decision: Decision, call: RecordedCall): void {
  evolve(state, asRecorded(decision, call));
}

/** The decision with the recorded outcomes: same counters, but quota taken as it really was. */
function asRecorded(decision: Decision, call: RecordedCall): Decision {
  // The usual case (the self-check passes): nothing to change, so no copy per call.
  if (sameVerdict(call.recorded, decision) && sameShadowOutcome(call.recordedShadow, decision))
    return decision;
  const charged: Decision = {
    ...decision,
    outcome: call.recorded.outcome,
    rule: call.recorded.rule,
    basis: call.recorded.basis,
  };
  if (decision.shadow !== undefined && call.recordedShadow !== undefined) {
    charged.shadow = { ...decision.shadow, outcome: call.recordedShadow.outcome };
  }
  return charged;
}

function sameVerdict(recorded: RecordedVerdict, replayed: RecordedVerdict): boolean {
  return (
    recorded.outcome === replayed.outcome &&
    recorded.rule === replayed.rule &&
    recorded.basis === replayed.basis
  );
}

function sameShadowOutcome(recorded: RecordedShadow | undefined, decision: Decision): boolean {
  return (
    decision.shadow === undefined || recorded === undefined || decision.shadow.outcome === recorded.outcome
  );
}

function sameShadow(recorded: RecordedShadow | undefined, replayed: RecordedShadow | undefined): boolean {
  if (recorded === undefined || replayed === undefined) return recorded === replayed;
  return recorded.outcome === replayed.outcome && recorded.rule === replayed.rule;
}
