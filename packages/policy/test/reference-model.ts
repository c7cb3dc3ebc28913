/**
 * A reference decider written from docs/POLICY.md ("How a decision is made", "Limits", "Shadow"),
 * not from the engine. It is slow on purpose: it scans the policy document for matching rules on
 * every call, keeps every allowed call's time per (counter, subject) in a plain array, and recounts
 * each window by scanning that array. Its value is being obviously right.
 *
 * Where the document is silent the model makes the choice the engine's rule ids need, and says so:
 * a shared counter named by several limits reports the limit with the smallest id, and a policy in
 * shadow mode names the rule `mode`.
 *
 * Time must not run backwards (traces are generated with non-decreasing timestamps).
 */
import { isDeepStrictEqual } from "node:util";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import * as addFormatsModule from "ajv-formats";
import type { Basis, Call, LimitDoc, Outcome, PolicyDoc, Scope, ToolRuleDoc } from "../src/index.js";
import type { ConditionDoc } from "./arbitraries.js";

export interface ReferenceCounter {
  counter: string;
  subject: string;
  limit: string;
  used: number;
}

export interface ReferenceVerdict {
  outcome: Outcome;
  rule: string;
  basis: Basis;
  counters: ReferenceCounter[];
  approvalTimeoutMs?: number;
}

export interface ReferenceDecision extends ReferenceVerdict {
  shadow?: ReferenceVerdict;
}

/** A limit as one call sees it: which counter key it charges and how that key counts. */
export interface ReferenceLimit {
  id: string;
  counter: string;
  windowMs: number;
  max: number;
  scope: Scope;
  algorithm: "sliding" | "fixed";
}

export interface Rule {
  id: string;
  key: string;
  doc: ToolRuleDoc;
  exact: boolean;
  qualified: boolean;
  literalLength: number;
  matches(call: Call): boolean;
}

/** The enforced rules (`live`) or every rule, shadow ones included (`shadow`). */
export type WorldName = "live" | "shadow";

/** What a call meets before any counter is consulted: a refusal, or the limits and rules that apply. */
export type Plan =
  | { refusal: ReferenceVerdict }
  | { refusal?: undefined; limits: ReferenceLimit[]; matched: Rule[] };

const DEFAULT_APPROVAL_TIMEOUT_MS = 5 * 60_000;

export class ReferenceModel {
  private readonly history = { live: new Map<string, number[]>(), shadow: new Map<string, number[]>() };
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(readonly doc: PolicyDoc) {}

  /** Whether `decision.shadow` is recorded: a shadow-mode policy, or one with shadow rules. */
  get hasShadowWorld(): boolean {
    return this.doc.mode === "shadow" || Object.values(this.doc.tools ?? {}).some(isShadowRule);
  }

  /** Decides one call and counts it if allowed (decide followed by evolve). */
  decide(call: Call, now: number): ReferenceDecision {
    if (now < this.lastTime) throw new Error("the reference model needs non-decreasing time");
    this.lastTime = now;
    const live: ReferenceVerdict =
      this.doc.mode === "shadow"
        ? { outcome: "allow", rule: "mode", basis: "shadow_mode", counters: [] }
        : this.verdict("live", call, now);
    const shadow = this.hasShadowWorld ? withoutTimeout(this.verdict("shadow", call, now)) : undefined;
    this.recordIfAllowed("live", live, now);
    if (shadow !== undefined) this.recordIfAllowed("shadow", shadow, now);
    return shadow === undefined ? live : { ...live, shadow };
  }

  /** The steps of "How a decision is made" before limits: rules, default, deny, arguments. */
  plan(world: WorldName, call: Call): Plan {
    // A policy in shadow mode enforces nothing: no rule, no check and no counter applies live.
    if (world === "live" && this.doc.mode === "shadow") return { limits: [], matched: [] };
    const matched = matchingRules(this.doc, world, call);
    if (matched.length === 0 && (this.doc.default ?? "deny") === "deny") {
      return { refusal: refusal("default", "default") };
    }
    const denier = matched.find((rule) => rule.doc.action === "deny" || rule.doc.hide === true);
    if (denier !== undefined) return { refusal: refusal(denier.id, "rule") };
    const args = call.args === undefined ? {} : call.args;
    if (!isJsonObject(args)) return { refusal: refusal("arguments", "arguments") };
    for (const rule of matched) {
      const refusedBy = this.argumentRefusal(rule, args);
      if (refusedBy !== undefined) return { refusal: refusal(refusedBy, "arguments") };
    }
    return { limits: limitsOf(this.doc, matched), matched };
  }

  private verdict(world: WorldName, call: Call, now: number): ReferenceVerdict {
    const plan = this.plan(world, call);
    if (plan.refusal !== undefined) return plan.refusal;
    const counters = plan.limits.map((limit) => {
      const subject = subjectOf(limit.scope, call);
      const used = countInWindow(this.history[world].get(keyOf(limit.counter, subject)) ?? [], limit, now);
      return { counter: limit.counter, subject, limit: limit.id, used, max: limit.max };
    });
    const report = counters.map(({ max: _max, ...counter }) => counter);
    const exhausted = counters.find((counter) => counter.used >= counter.max);
    if (exhausted !== undefined) {
      return { outcome: "rate_limited", rule: exhausted.limit, basis: "limit", counters: report };
    }
    const approver = plan.matched.find((rule) => rule.doc.action === "approve");
    if (approver !== undefined && call.approval !== "granted") {
      const timeout = approver.doc.approval?.timeout;
      return {
        outcome: "approval_required",
        rule: approver.id,
        basis: "approval",
        counters: report,
        approvalTimeoutMs: timeout === undefined ? DEFAULT_APPROVAL_TIMEOUT_MS : windowToMs(timeout),
      };
    }
    const primary = plan.matched[0];
    return primary === undefined
      ? { outcome: "allow", rule: "default", basis: "default", counters: report }
      : { outcome: "allow", rule: primary.id, basis: "rule", counters: report };
  }

  private recordIfAllowed(world: WorldName, verdict: ReferenceVerdict, now: number): void {
    if (verdict.outcome !== "allow") return;
    for (const counter of verdict.counters) {
      const key = keyOf(counter.counter, counter.subject);
      const times = this.history[world].get(key) ?? [];
      times.push(now);
      this.history[world].set(key, times);
    }
  }

  /** The id of the first check of `rule` that refuses `args`: the schema first, then each deny_if. */
  private argumentRefusal(rule: Rule, args: Record<string, unknown>): string | undefined {
    if (rule.doc.args_schema !== undefined && !this.schemaFor(rule)(args)) return `${rule.id}.args_schema`;
    const index = (rule.doc.deny_if ?? []).findIndex((condition) => conditionMatches(condition, args));
    return index < 0 ? undefined : `${rule.id}.deny_if[${index}]`;
  }

  private schemaFor(rule: Rule): ValidateFunction {
    // Compiling a schema is slow and generated policies reuse a few schemas: cache by their text.
    const text = JSON.stringify(rule.doc.args_schema);
    let validate = compiledSchemas.get(text);
    if (validate === undefined) {
      validate = schemaCompiler.compile(rule.doc.args_schema as object);
      compiledSchemas.set(text, validate);
    }
    return validate;
  }
}

/** The approval timeout is recorded for the call the gateway holds, i.e. only on the live verdict. */
function withoutTimeout(verdict: ReferenceVerdict): ReferenceVerdict {
  const { approvalTimeoutMs: _timeout, ...rest } = verdict;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Rules

/** Every rule of the world whose key matches the call, most specific first. */
export function matchingRules(doc: PolicyDoc, world: WorldName, call: Call): Rule[] {
  return Object.entries(doc.tools ?? {})
    .filter(([, ruleDoc]) => world === "shadow" || !isShadowRule(ruleDoc))
    .map(([key, ruleDoc]) => ruleOf(key, ruleDoc))
    .filter((rule) => rule.matches(call))
    .sort(mostSpecificFirst);
}

function isShadowRule(rule: ToolRuleDoc): boolean {
  return rule.mode === "shadow";
}

function ruleOf(key: string, doc: ToolRuleDoc): Rule {
  const colon = key.indexOf(":");
  const server = colon < 0 ? undefined : globToRegExp(key.slice(0, colon));
  const tool = globToRegExp(colon < 0 ? key : key.slice(colon + 1));
  return {
    id: `tools${keySegment(key)}`,
    key,
    doc,
    exact: !/[*?]/.test(key),
    qualified: server !== undefined,
    literalLength: key.replace(/[*?:]/g, "").length,
    matches: (call) =>
      tool.test(call.tool) &&
      (server === undefined || (call.server !== undefined && server.test(call.server))),
  };
}

/** Exact before glob, qualified before unqualified, longer literal text first, then by rule id. */
function mostSpecificFirst(a: Rule, b: Rule): number {
  return (
    Number(b.exact) - Number(a.exact) ||
    Number(b.qualified) - Number(a.qualified) ||
    b.literalLength - a.literalLength ||
    compareText(a.id, b.id)
  );
}

function compareText(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

/** `*` is any run of characters, `?` one character; everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[\\^$.*+?()[\]{}|/]/, "\\$&")))
    .join("");
  return new RegExp(`^${body}$`, "su");
}

/** `.name` for identifiers, `["k8s_*"]` otherwise: how a person would write the path in JavaScript. */
function keySegment(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function refusal(rule: string, basis: Basis): ReferenceVerdict {
  return { outcome: "deny", rule, basis, counters: [] };
}

// ---------------------------------------------------------------------------------------------
// Arguments

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function conditionMatches(condition: ConditionDoc, args: Record<string, unknown>): boolean {
  const value = valueAt(args, condition.arg.replace(/^args\./, "").split("."));
  if (condition.exists !== undefined) return (value !== undefined) === condition.exists;
  if (value === undefined) return false;
  if (condition.equals !== undefined) return isDeepStrictEqual(value, condition.equals);
  if (condition.not_equals !== undefined) return !isDeepStrictEqual(value, condition.not_equals);
  if (condition.in !== undefined) return condition.in.some((item) => isDeepStrictEqual(value, item));
  if (condition.not_in !== undefined) return !condition.not_in.some((item) => isDeepStrictEqual(value, item));
  if (condition.regex !== undefined) {
    return typeof value === "string" && new RegExp(condition.regex, "u").test(value);
  }
  if (condition.contains !== undefined) {
    const needle = condition.contains;
    if (typeof value === "string") return typeof needle === "string" && value.includes(needle);
    return Array.isArray(value) && value.some((item) => isDeepStrictEqual(item, needle));
  }
  if (typeof value !== "number") return false;
  if (condition.gt !== undefined) return value > condition.gt;
  if (condition.gte !== undefined) return value >= condition.gte;
  if (condition.lt !== undefined) return value < condition.lt;
  if (condition.lte !== undefined) return value <= condition.lte;
  throw new Error(`condition without an operator: ${JSON.stringify(condition)}`);
}

function valueAt(args: Record<string, unknown>, path: string[]): unknown {
  let value: unknown = args;
  for (const name of path) {
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

// ajv-formats is CommonJS with `exports.default`; under NodeNext ESM interop the callable is `.default`.
const addFormats = addFormatsModule.default.default;
const schemaCompiler = new Ajv2020({ strict: false });
addFormats(schemaCompiler);
const compiledSchemas = new Map<string, ValidateFunction>();

// ---------------------------------------------------------------------------------------------
// Limits

/** The limits of the matched rules plus all_tools.limits, one per counter, ordered by counter name. */
export function limitsOf(doc: PolicyDoc, matched: Rule[]): ReferenceLimit[] {
  const all = [
    ...matched.flatMap((rule) => limitDocs(rule.id, rule.doc)),
    ...limitDocs("all_tools", doc.all_tools ?? {}),
  ];
  const byCounter = new Map<string, ReferenceLimit>();
  // The document does not say which limit a shared counter reports; the smallest id, like rule ties.
  for (const limit of all.sort((a, b) => compareText(a.id, b.id))) {
    if (!byCounter.has(limit.counter)) byCounter.set(limit.counter, limit);
  }
  return [...byCounter.values()].sort((a, b) => compareText(a.counter, b.counter));
}

function limitDocs(
  holderId: string,
  holder: { limits?: LimitDoc[]; rate_limit?: LimitDoc },
): ReferenceLimit[] {
  const written: [string, LimitDoc][] = (holder.limits ?? []).map((limit, i) => [
    `${holderId}.limits[${i}]`,
    limit,
  ]);
  if (holder.rate_limit !== undefined) written.push([`${holderId}.rate_limit`, holder.rate_limit]);
  return written.map(([id, limit]) => ({
    id,
    counter: limit.counter ?? id,
    windowMs: windowToMs(limit.window),
    max: limit.max,
    scope: limit.scope ?? "session",
    algorithm: limit.algorithm ?? "sliding",
  }));
}

export function subjectOf(scope: Scope, call: Call): string {
  return scope === "global" ? "" : call.identity[scope];
}

export function keyOf(counter: string, subject: string): string {
  return JSON.stringify([counter, subject]);
}

/** Sliding: allowed calls in (now − W, now]. Fixed: allowed calls in the calendar window of now. */
export function countInWindow(times: readonly number[], limit: ReferenceLimit, now: number): number {
  const inWindow =
    limit.algorithm === "sliding"
      ? (t: number) => now - limit.windowMs < t && t <= now
      : (t: number) => Math.floor(t / limit.windowMs) === Math.floor(now / limit.windowMs);
  return times.filter(inWindow).length;
}

const NAMED_WINDOWS: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function windowToMs(window: string | number): number {
  if (typeof window === "number") return window * 1_000;
  const named = NAMED_WINDOWS[window];
  if (named !== undefined) return named;
  const duration = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(window);
  if (duration === null) throw new Error(`not a window: ${window}`);
  return Number(duration[1]) * UNITS[duration[2]!]!;
}
