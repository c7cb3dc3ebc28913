/**
 * The imperative shell around the pure decider: it owns the live policy and the limiter state,
 * supplies the wall clock, and swaps policies atomically on reload (counters carry over by name).
 */
import {
  type Call,
  type CompiledPolicy,
  type Decision,
  type DecisionState,
  decide,
  evolve,
  initialState,
  pruneState,
} from "@tollgate/policy";

const PRUNE_EVERY = 10_000;

export class Enforcer {
  private state: DecisionState = initialState();
  private decisionsSincePrune = 0;

  constructor(
    private current: CompiledPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  get policy(): CompiledPolicy {
    return this.current;
  }

  /** Decides and counts the call in one step, so two concurrent calls cannot both take the last slot. */
  decide(call: Call): Decision {
    const now = this.clock();
    const decision = decide(this.current, this.state, call, now);
    this.state = evolve(this.state, decision);
    if (++this.decisionsSincePrune >= PRUNE_EVERY) {
      this.decisionsSincePrune = 0;
      this.state = pruneState(this.state, now);
    }
    return decision;
  }

  replacePolicy(policy: CompiledPolicy): CompiledPolicy {
    const previous = this.current;
    this.current = policy;
    return previous;
  }
}
