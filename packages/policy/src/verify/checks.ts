/**
 * The invariants a policy's owner can promise, as checks over a decided trace.
 * Each check reads only the trace: it does not ask the engine why, it looks at what was decided.
 */
import { jsonEqual } from "../arguments.js";
import { parsePattern } from "../pattern.js";
import type { InvariantDoc, PolicyDoc } from "../schema.js";
import { describeWindow, parseWindow } from "../window.js";
import type { DecidedCall } from "./trace.js";

export interface Violation {
  message: string;
  /** The calls that make up the violation, by index in the trace. */
  calls: number[];
}

export interface InvariantCheck {
  /** `invariants[2]` */
  id: string;
  title: string;
  check(trace: readonly DecidedCall[]): Violation | undefined;
}

export function invariantChecks(doc: PolicyDoc): InvariantCheck[] {
  return (doc.invariants ?? []).map((invariant, index) => {
    const id = `invariants[${index}]`;
    const check = buildCheck(invariant, doc);
    const name = typeof invariant === "string" ? undefined : invariant.name;
    return { id, title: name ?? check.title, check: check.check };
  });
}

function buildCheck(invariant: InvariantDoc, doc: PolicyDoc): Omit<InvariantCheck, "id"> {
  if (invariant === "default_deny" || "default_deny" in invariant) return defaultDeny(doc);
  if ("never_allow" in invariant) return neverAllow(invariant.never_allow);
  if ("limit" in invariant) return atMost(invariant.limit);
  return alwaysAllow(invariant.always_allow);
}

function defaultDeny(doc: PolicyDoc): Omit<InvariantCheck, "id"> {
  const patterns = Object.keys(doc.tools ?? {}).map(parsePattern);
  return {
    title: "default deny: a tool no rule names is never allowed",
    check(trace) {
      const index = trace.findIndex(
        ({ call, decision }) =>
          decision.outcome === "allow" && !patterns.some((p) => p.matches(call.server, call.tool)),
      );
      if (index < 0) return undefined;
      const call = trace[index]!.call;
      return { message: `"${call.tool}" is named by no rule, yet it was allowed`, calls: [index] };
    },
  };
}

function neverAllow(pattern: string): Omit<InvariantCheck, "id"> {
  const matcher = parsePattern(pattern);
  return {
    title: `never allow ${pattern}`,
    check(trace) {
      const index = trace.findIndex(
        ({ call, decision }) => decision.outcome === "allow" && matcher.matches(call.server, call.tool),
      );
      if (index < 0) return undefined;
      return { message: `"${trace[index]!.call.tool}" was allowed`, calls: [index] };
    },
  };
}

type LimitInvariant = Extract<InvariantDoc, { limit: unknown }>["limit"];

function atMost(limit: LimitInvariant): Omit<InvariantCheck, "id"> {
  const matcher = parsePattern(limit.tool);
  const windowMs = windowOf(limit.window);
  const per = limit.scope === "global" ? "" : ` per ${limit.scope}`;
  return {
    title: `${limit.tool} at most ${limit.max} per ${describeWindow(windowMs)}${per}`,
    check(trace) {
      const allowedBySubject = new Map<string, number[]>();
      for (const [index, { call, decision }] of trace.entries()) {
        if (decision.outcome !== "allow" || !matcher.matches(call.server, call.tool)) continue;
        const subject = limit.scope === "global" ? "" : call.identity[limit.scope];
        const allowed = allowedBySubject.get(subject) ?? [];
        allowed.push(index);
        allowedBySubject.set(subject, allowed);
        const inWindow = allowed.filter((i) => trace[i]!.offset > trace[index]!.offset - windowMs);
        if (inWindow.length > limit.max) {
          const who = limit.scope === "global" ? "all callers" : `${limit.scope} "${subject}"`;
          return {
            message: `${inWindow.length} calls of ${limit.tool} by ${who} were allowed within one ${describeWindow(windowMs)} (at most ${limit.max} promised)`,
            calls: inWindow,
          };
        }
      }
      return undefined;
    },
  };
}

type AlwaysAllowInvariant = Extract<InvariantDoc, { always_allow: unknown }>["always_allow"];

/** The calls an always_allow invariant speaks of: this tool, by this grant (and agent, server, args if given). */
export function coveredByAlwaysAllow(invariant: AlwaysAllowInvariant, entry: DecidedCall): boolean {
  const { call } = entry;
  if (!parsePattern(invariant.tool).matches(call.server, call.tool)) return false;
  if (call.identity.grant !== invariant.grant) return false;
  if (invariant.agent !== undefined && call.identity.agent !== invariant.agent) return false;
  if (invariant.server !== undefined && call.server !== invariant.server) return false;
  return jsonEqual(call.args ?? {}, invariant.args ?? {});
}

function alwaysAllow(invariant: AlwaysAllowInvariant): Omit<InvariantCheck, "id"> {
  const within = invariant.within;
  const windowMs = within === undefined ? undefined : windowOf(within.window);
  const rate = within === undefined ? "" : ` up to ${within.max} per ${describeWindow(windowMs!)}`;
  return {
    title: `always allow ${invariant.tool} for grant ${invariant.grant}${rate}`,
    check(trace) {
      const covered: number[] = [];
      for (const [index, entry] of trace.entries()) {
        if (!coveredByAlwaysAllow(invariant, entry)) continue;
        covered.push(index);
        const recent =
          windowMs === undefined ? [] : covered.filter((i) => trace[i]!.offset > entry.offset - windowMs);
        const withinRate = within === undefined || recent.length <= within.max;
        if (withinRate && entry.decision.outcome !== "allow") {
          return {
            message: `"${entry.call.tool}" by grant "${invariant.grant}" was ${entry.decision.outcome.replace("_", " ")} (${entry.decision.reason})`,
            calls: windowMs === undefined ? [index] : recent,
          };
        }
      }
      return undefined;
    },
  };
}

function windowOf(window: string | number): number {
  const parsed = parseWindow(window);
  return parsed.ok ? parsed.ms : 1;
}
