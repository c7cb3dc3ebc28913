/**
 * Generated traffic for `verify`, shaped by the policy under test so that it reaches the interesting
 * places: every named tool and samples of every pattern, tools no rule names, the identities the
 * invariants mention, arguments built from the policy's own conditions, and bursts whose gaps land on
 * and around every window length (where off-by-one errors live).
 */
import fc from "fast-check";
import type { ConditionDoc, InvariantDoc, LimitDoc, PolicyDoc } from "../schema.js";
import type { Call, Identity } from "../types.js";
import { parseWindow } from "../window.js";
import type { TimedCall } from "./trace.js";

export interface TrafficOptions {
  /** Extra tool names to call, for example an upstream's tools/list. */
  tools?: string[];
  /** Most calls in one trace. */
  maxCalls?: number;
}

interface CallTemplate {
  server: string | undefined;
  tool: string;
}

/** Limits larger than this are exercised only up to this many calls in one burst. */
export const MAX_BURST = 300;

export const UNKNOWN_TOOLS = ["tollgate_unlisted_tool", "shell_exec"];

export function trafficArbitrary(doc: PolicyDoc, options: TrafficOptions = {}): fc.Arbitrary<TimedCall[]> {
  const templates = callTemplates(doc, options.tools ?? []);
  const identity = identityArbitrary(doc.invariants ?? []);
  const args = argumentsArbitrary(doc);
  const windows = windowsOf(doc);
  const gap = gapArbitrary(windows);
  const burst = Math.min(MAX_BURST, largestMax(doc) + 2);
  const segment = fc.record({
    template: fc.constantFrom(...templates),
    identity,
    args,
    approval: fc.boolean(),
    repeat: fc.integer({ min: 1, max: burst }),
    gap,
    pause: gap,
  });
  const maxCalls = options.maxCalls ?? Math.max(60, burst * 3);
  return fc.array(segment, { minLength: 1, maxLength: 12 }).map((segments) => {
    const trace: TimedCall[] = [];
    let offset = 0;
    for (const s of segments) {
      offset += s.pause;
      for (let i = 0; i < s.repeat && trace.length < maxCalls; i++) {
        if (i > 0) offset += s.gap;
        const call: Call = { tool: s.template.tool, args: s.args, identity: s.identity };
        if (s.template.server !== undefined) call.server = s.template.server;
        if (s.approval) call.approval = "granted";
        trace.push({ offset, call });
      }
    }
    return trace;
  });
}

function callTemplates(doc: PolicyDoc, extraTools: string[]): CallTemplate[] {
  const patterns = [...Object.keys(doc.tools ?? {}), ...invariantTools(doc.invariants ?? [])];
  const templates = new Map<string, CallTemplate>();
  const add = (server: string | undefined, tool: string) =>
    templates.set(`${server ?? ""}:${tool}`, { server, tool });
  for (const pattern of patterns) {
    const colon = pattern.indexOf(":");
    const server = colon >= 0 ? sampleName(pattern.slice(0, colon)) : undefined;
    const tool = sampleName(colon >= 0 ? pattern.slice(colon + 1) : pattern);
    add(server, tool);
    if (server !== undefined) add(undefined, tool);
    if (pattern.includes("*")) add(server, sampleName(pattern, "z_sample"));
  }
  for (const tool of [...extraTools, ...UNKNOWN_TOOLS]) add(undefined, tool);
  return [...templates.values()];
}

/** A concrete name a glob matches: `k8s_get_*` → `k8s_get_x`. */
function sampleName(glob: string, fill = "x"): string {
  return glob.replaceAll("*", fill).replaceAll("?", "q");
}

function invariantTools(invariants: InvariantDoc[]): string[] {
  return invariants.flatMap((invariant) => {
    if (typeof invariant === "string" || "default_deny" in invariant) return [];
    if ("never_allow" in invariant) return [invariant.never_allow];
    if ("limit" in invariant) return [invariant.limit.tool];
    const server = invariant.always_allow.server;
    return [server === undefined ? invariant.always_allow.tool : `${server}:${invariant.always_allow.tool}`];
  });
}

function identityArbitrary(invariants: InvariantDoc[]): fc.Arbitrary<Identity> {
  const grants = new Set(["g1", "g2"]);
  const agents = new Set(["a1", "a2"]);
  for (const invariant of invariants) {
    if (typeof invariant !== "string" && "always_allow" in invariant) {
      grants.add(invariant.always_allow.grant);
      if (invariant.always_allow.agent !== undefined) agents.add(invariant.always_allow.agent);
    }
  }
  return fc.record({
    agent: fc.constantFrom(...agents),
    grant: fc.constantFrom(...grants),
    session: fc.constantFrom("s1", "s2", "s3"),
  });
}

/** Argument objects built from the values the policy's conditions and invariants talk about. */
function argumentsArbitrary(doc: PolicyDoc): fc.Arbitrary<unknown> {
  const conditions = Object.values(doc.tools ?? {}).flatMap((rule) => rule.deny_if ?? []);
  const byArg = new Map<string, fc.Arbitrary<unknown>[]>();
  for (const condition of conditions) {
    const values = byArg.get(condition.arg) ?? [];
    values.push(...valuesFor(condition));
    byArg.set(condition.arg, values);
  }
  const promised = (doc.invariants ?? []).flatMap((invariant) =>
    typeof invariant !== "string" && "always_allow" in invariant ? [invariant.always_allow.args ?? {}] : [],
  );
  const keyed = [...byArg].map(([arg, values]) =>
    fc.tuple(fc.constant(arg), fc.oneof(...values)).map(([path, value]) => nest(path, value)),
  );
  const built =
    keyed.length === 0 ? fc.constant({}) : fc.subarray(keyed).chain((parts) => fc.tuple(...parts));
  const merged = built.map((parts) => Object.assign({}, ...(parts as object[])));
  return fc.oneof(
    { weight: 4, arbitrary: merged },
    { weight: 2, arbitrary: promised.length > 0 ? fc.constantFrom(...promised) : fc.constant({}) },
    {
      weight: 1,
      arbitrary: fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
    },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], "text", 7) },
  );
}

function valuesFor(condition: ConditionDoc): fc.Arbitrary<unknown>[] {
  const values: fc.Arbitrary<unknown>[] = [fc.string({ maxLength: 8 })];
  const literal = (v: unknown) => values.push(fc.constant(v));
  if (condition.equals !== undefined) literal(condition.equals);
  if (condition.not_equals !== undefined) literal(condition.not_equals);
  for (const v of [...(condition.in ?? []), ...(condition.not_in ?? [])]) literal(v);
  if (condition.regex !== undefined) values.push(...stringsMatching(condition.regex));
  if (typeof condition.contains === "string") {
    const needle = condition.contains;
    values.push(
      fc.tuple(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })).map(([a, b]) => a + needle + b),
    );
  } else if (condition.contains !== undefined) {
    literal([condition.contains]);
  }
  for (const bound of [condition.gt, condition.gte, condition.lt, condition.lte]) {
    if (bound !== undefined) values.push(fc.constantFrom(bound - 1, bound, bound + 1));
  }
  return values;
}

/**
 * Strings that match a condition's regex. fast-check cannot generate for every regex feature
 * (word boundaries, lookarounds): without `\b` the rest often can, padded with spaces so the
 * boundaries still hold; otherwise the regex gets only the random strings every argument gets.
 */
function stringsMatching(source: string): fc.Arbitrary<unknown>[] {
  try {
    return [fc.stringMatching(new RegExp(source, "u"))];
  } catch {
    try {
      const withoutBoundaries = new RegExp(source.replaceAll("\\b", ""), "u");
      return [fc.stringMatching(withoutBoundaries).map((text) => ` ${text} `)];
    } catch {
      return [];
    }
  }
}

function nest(path: string, value: unknown): Record<string, unknown> {
  const segments = path.replace(/^args\./, "").split(".");
  let result: unknown = value;
  for (const segment of segments.reverse()) result = { [segment]: result };
  return result as Record<string, unknown>;
}

/** Every rate the policy speaks of: its limits, and the rates its invariants promise. */
function ratesOf(doc: PolicyDoc): { window: string | number; max: number }[] {
  const limits: LimitDoc[] = [doc.all_tools ?? {}, ...Object.values(doc.tools ?? {})].flatMap((holder) => [
    ...(holder.limits ?? []),
    ...(holder.rate_limit === undefined ? [] : [holder.rate_limit]),
  ]);
  const promised = (doc.invariants ?? []).flatMap((invariant) => {
    if (typeof invariant === "string") return [];
    if ("limit" in invariant) return [invariant.limit];
    if ("always_allow" in invariant && invariant.always_allow.within) return [invariant.always_allow.within];
    return [];
  });
  return [...limits, ...promised];
}

function windowsOf(doc: PolicyDoc): number[] {
  const windows = ratesOf(doc)
    .map((rate) => parseWindow(rate.window))
    .flatMap((w) => (w.ok ? [w.ms] : []));
  return windows.length > 0 ? [...new Set(windows)] : [60_000];
}

function largestMax(doc: PolicyDoc): number {
  return Math.max(4, ...ratesOf(doc).map((rate) => rate.max));
}

/** Gaps between calls: none, a hair, a slice of a window, and on and around each window length. */
function gapArbitrary(windows: number[]): fc.Arbitrary<number> {
  const boundaries = windows.flatMap((w) => [w - 1, w, w + 1]).filter((g) => g >= 0);
  const longest = Math.max(...windows);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(0, 1) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.ceil(longest / 10) }) },
    { weight: 2, arbitrary: fc.constantFrom(...boundaries) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: longest * 2 }) },
  );
}
