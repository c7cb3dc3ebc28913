/**
 * Recorded calls from events themselves (a spool, a Kafka topic, a gateway's events file): the slow
 * path, for traffic that never reached a store. Events must come in each instance's order.
 */
import type { EventOfType, TollgateEvent } from "@tollgate/events";
import type { RecordedCall } from "../recorded.js";
import type { ReplaySource } from "../report.js";
import type { CallSource } from "../run.js";

type Decided = EventOfType<"call.decided">;

export function eventsSource(source: ReplaySource, read: () => AsyncIterable<TollgateEvent[]>): CallSource {
  const names = new Map<string, string>();
  return {
    describe: () => source,
    async *calls(range, readsArguments) {
      for await (const events of read()) {
        const calls: RecordedCall[] = [];
        for (const event of events) {
          if (event.type === "policy.loaded") names.set(event.payload.digest, event.payload.name);
          if (event.type !== "call.decided") continue;
          const at = event.payload.decision.at;
          if (at < range.from || at >= range.to) continue;
          calls.push(recordedCallOf(event, readsArguments));
        }
        if (calls.length > 0) yield calls;
      }
    },
    policyNames: async () => names,
  };
}

export function recordedCallOf(
  event: Decided,
  readsArguments: (server: string, tool: string) => boolean,
): RecordedCall {
  const { call, decision } = event.payload;
  const args = call.arguments;
  return {
    eventId: event.id,
    callId: call.id,
    instance: event.gateway.instance,
    seq: event.chain.seq,
    at: decision.at,
    session: event.session?.id ?? "",
    agent: event.session?.agent ?? "",
    grant: event.session?.grant ?? "",
    server: call.server,
    tool: call.tool,
    argumentsJson: readsArguments(call.server, call.tool) ? JSON.stringify(args) : undefined,
    argumentsAreObject: typeof args === "object" && args !== null && !Array.isArray(args),
    redacted: call.redacted.length > 0,
    approved: decision.approval === "granted",
    digest: decision.policy.digest,
    recorded: { outcome: decision.outcome, rule: decision.rule, basis: decision.basis },
    recordedShadow:
      decision.shadow === undefined
        ? undefined
        : { outcome: decision.shadow.outcome, rule: decision.shadow.rule },
  };
}
