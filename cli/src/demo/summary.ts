/** What `tollgate demo traffic` prints: a few lines for people, or JSON for scripts and tests. */
import type { LiveCallResult } from "./live.js";
import type { DemoDay } from "./traffic.js";

type LiveResults = LiveCallResult[] | undefined;

export function jsonSummary(day: DemoDay, spool: string, policy: string, live: LiveResults) {
  const { tally } = day;
  return {
    spool,
    policy,
    instances: day.instances,
    window: day.window,
    events: day.events.length,
    sessions: tally.sessions,
    calls: tally.calls,
    outcomes: tally.outcomes,
    approvals: tally.resolutions,
    redactedCalls: tally.redactedCalls,
    rateLimitedSessions: [...tally.rateLimitedSessions.values()],
    ...(live === undefined ? {} : { live }),
  };
}

export function textSummary(
  day: DemoDay,
  spool: string,
  policy: string,
  seed: number,
  live: LiveResults,
): string {
  const { tally } = day;
  const { allow, deny, rate_limited, approval_required } = tally.outcomes;
  const { approved, denied, timed_out } = tally.resolutions;
  const when = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  const lines = [
    `tollgate demo traffic: ${tally.calls} calls in ${tally.sessions} sessions, ${when(day.window.from)} → ${when(day.window.to)} UTC (seed ${seed}, policy ${policy})`,
    `  allowed ${allow}, denied ${deny}, rate-limited ${rate_limited}, held for approval ${approval_required} (approved ${approved}, denied ${denied}, timed out ${timed_out})`,
    `  secrets redacted from the arguments of ${tally.redactedCalls} calls`,
    ...[...tally.rateLimitedSessions.values()].map(
      (s) => `  rate-limited: session ${s.session} (${s.agent}), ${s.calls} × ${s.tool} refused`,
    ),
    `  wrote ${day.events.length} events (gateway instances ${day.instances.join(", ")}) to the spool ${spool}`,
    "  `tollgate up` with this data directory ingests them; open the UI, or replay the day",
  ];
  for (const call of live ?? [])
    lines.push(`  live: ${call.tool}: ${call.outcome}${call.text ? ` (${call.text})` : ""}`);
  return lines.join("\n");
}
