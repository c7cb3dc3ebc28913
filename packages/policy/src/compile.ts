/**
 * Compiles a validated policy document into rule sets the decider can evaluate quickly.
 * Problems that only show across fields (counters shared with different settings, an args_schema
 * that is not a schema, a malformed tool key) are found here, with their paths.
 */
import { type ArgumentCheck, compileCondition, createSchemaCompiler } from "./arguments.js";
import type { CompiledLimit } from "./limiter.js";
import { formatPath, type PathSegment } from "./path.js";
import { parsePattern, SERVER_SEPARATOR, type ToolPattern } from "./pattern.js";
import type { LimitDoc, PolicyDoc, ToolRuleDoc } from "./schema.js";
import { errorText } from "./schema.js";
import { describeWindow, parseWindow } from "./window.js";

export interface CompiledRule {
  /** `tools.k8s_pod_exec`: the rule's key in the file, so ids survive reordering. */
  id: string;
  pattern: ToolPattern;
  action: "allow" | "deny" | "approve";
  reason: string | undefined;
  limits: CompiledLimit[];
  argumentChecks: ArgumentCheck[];
  hide: boolean;
  shadow: boolean;
  approvalTimeoutMs: number;
}

/** Everything the decider needs for one (server, tool): computed once per name and memoised. */
export interface ToolPlan {
  /** Matching rules, most specific first (ties by id), so the result never depends on file order. */
  matched: CompiledRule[];
  /** The deny (or hide) rule that decides, if any. */
  deny: CompiledRule | undefined;
  approve: CompiledRule | undefined;
  argumentChecks: ArgumentCheck[];
  /** The limits that apply, one per counter, ordered by counter name. */
  limits: CompiledLimit[];
  allowReason: string;
}

export interface Ruleset {
  defaultAction: "allow" | "deny";
  rules: CompiledRule[];
  allToolsLimits: CompiledLimit[];
  plan(server: string | undefined, tool: string): ToolPlan;
}

export interface CompileProblem {
  path: PathSegment[];
  message: string;
}

export interface CompiledRules {
  /** `shadow`: nothing is enforced; every decision is what the policy would have done, recorded. */
  mode: "enforce" | "shadow";
  /** What is enforced: shadow rules left out (and, in shadow mode, nothing at all). */
  live: Ruleset;
  /** The world where every shadow rule is enforced; undefined when the policy has no shadow rules. */
  shadow: Ruleset | undefined;
  problems: CompileProblem[];
}

const DEFAULT_APPROVAL_TIMEOUT_MS = 300_000;
/** Agents choose tool names; memoising plans for arbitrarily many names would be unbounded memory. */
const PLAN_CACHE_LIMIT = 10_000;

export function compileRules(doc: PolicyDoc): CompiledRules {
  const problems: CompileProblem[] = [];
  const compileSchema = createSchemaCompiler();
  const counters = new CounterRegistry(problems);
  const rules: CompiledRule[] = [];
  for (const [key, ruleDoc] of Object.entries(doc.tools ?? {})) {
    const rule = compileRule(key, ruleDoc, counters, compileSchema, problems);
    if (rule !== undefined) rules.push(rule);
  }
  const allToolsLimits = compileLimits(["all_tools"], doc.all_tools ?? {}, counters);
  const defaultAction = doc.default ?? "deny";
  const hasShadowRules = rules.some((rule) => rule.shadow);
  const enforced = makeRuleset(
    defaultAction,
    rules.filter((rule) => !rule.shadow),
    allToolsLimits,
  );
  const everything = makeRuleset(defaultAction, rules, allToolsLimits);
  if (doc.mode === "shadow") {
    return { mode: "shadow", live: makeRuleset("allow", [], []), shadow: everything, problems };
  }
  return { mode: "enforce", live: enforced, shadow: hasShadowRules ? everything : undefined, problems };
}

function compileRule(
  key: string,
  doc: ToolRuleDoc,
  counters: CounterRegistry,
  compileSchema: ReturnType<typeof createSchemaCompiler>,
  problems: CompileProblem[],
): CompiledRule | undefined {
  const path: PathSegment[] = ["tools", key];
  const keyProblem = checkToolKey(key);
  if (keyProblem !== undefined) {
    problems.push({ path, message: keyProblem });
    return undefined;
  }
  const id = formatPath(path);
  const argumentChecks: ArgumentCheck[] = [];
  if (doc.args_schema !== undefined) {
    try {
      argumentChecks.push(compileSchema(formatPath([...path, "args_schema"]), doc.args_schema, doc.reason));
    } catch (error) {
      problems.push({
        path: [...path, "args_schema"],
        message: `not a valid JSON Schema: ${errorText(error)}`,
      });
    }
  }
  (doc.deny_if ?? []).forEach((condition, index) => {
    argumentChecks.push(compileCondition(formatPath([...path, "deny_if", index]), condition));
  });
  const action = doc.action ?? "allow";
  if (doc.approval !== undefined && action !== "approve") {
    problems.push({
      path: [...path, "approval"],
      message: `approval settings only apply to action "approve"`,
    });
  }
  const timeout = doc.approval?.timeout === undefined ? undefined : parseWindow(doc.approval.timeout);
  return {
    id,
    pattern: parsePattern(key),
    action,
    reason: doc.reason,
    limits: compileLimits(path, doc, counters),
    argumentChecks,
    hide: doc.hide ?? false,
    shadow: doc.mode === "shadow",
    approvalTimeoutMs: timeout?.ok ? timeout.ms : DEFAULT_APPROVAL_TIMEOUT_MS,
  };
}

function checkToolKey(key: string): string | undefined {
  const parts = key.split(SERVER_SEPARATOR);
  if (parts.length > 2)
    return `a tool key has at most one "${SERVER_SEPARATOR}" (server${SERVER_SEPARATOR}tool)`;
  if (parts.some((part) => part.trim() === "")) {
    return parts.length === 2
      ? `"${key}" needs both a server and a tool around "${SERVER_SEPARATOR}"`
      : "a tool key must not be empty";
  }
  return undefined;
}

function compileLimits(
  path: PathSegment[],
  holder: { limits?: LimitDoc[]; rate_limit?: LimitDoc },
  counters: CounterRegistry,
): CompiledLimit[] {
  const entries: [PathSegment[], LimitDoc][] = (holder.limits ?? []).map((limit, index) => [
    [...path, "limits", index],
    limit,
  ]);
  if (holder.rate_limit !== undefined) entries.push([[...path, "rate_limit"], holder.rate_limit]);
  return entries.map(([limitPath, limit]) => counters.register(limitPath, limit));
}

/** Tools that name the same counter share it, so they must agree on how it counts. */
class CounterRegistry {
  private readonly byName = new Map<string, CompiledLimit>();

  constructor(private readonly problems: CompileProblem[]) {}

  register(path: PathSegment[], doc: LimitDoc): CompiledLimit {
    const id = formatPath(path);
    const window = parseWindow(doc.window);
    const counting = {
      counter: doc.counter ?? id,
      windowMs: window.ok ? window.ms : 1,
      max: doc.max,
      scope: doc.scope ?? "session",
      algorithm: doc.algorithm ?? "sliding",
    } as const;
    const limit: CompiledLimit = { id, ...counting, description: describeLimit(counting) };
    const first = this.byName.get(limit.counter);
    if (first === undefined) {
      this.byName.set(limit.counter, limit);
    } else if (!sameCounting(first, limit)) {
      this.problems.push({
        path,
        message: `counter "${limit.counter}" is declared as ${describeCounting(limit)} here but as ${describeCounting(first)} at ${first.id}; limits that share a counter must agree on window, max, scope and algorithm`,
      });
    }
    return limit;
  }
}

function describeLimit(limit: Omit<CompiledLimit, "id" | "description">): string {
  const per = limit.scope === "global" ? "" : ` per ${limit.scope}`;
  return `rate limit "${limit.counter}" allows ${limit.max} calls per ${describeWindow(limit.windowMs)}${per}`;
}

function sameCounting(a: CompiledLimit, b: CompiledLimit): boolean {
  return a.windowMs === b.windowMs && a.max === b.max && a.scope === b.scope && a.algorithm === b.algorithm;
}

function describeCounting(limit: CompiledLimit): string {
  return `${limit.max} per ${describeWindow(limit.windowMs)} per ${limit.scope} (${limit.algorithm})`;
}

function makeRuleset(
  defaultAction: "allow" | "deny",
  rules: CompiledRule[],
  allToolsLimits: CompiledLimit[],
): Ruleset {
  // Keyed by server, then tool, never by a joined string: agents choose tool names, and a tool
  // literally named "srv1:t_write" must not share a plan with tool "t_write" on server "srv1".
  const cache = new Map<string | undefined, Map<string, ToolPlan>>();
  let cached = 0;
  return {
    defaultAction,
    rules,
    allToolsLimits,
    plan(server, tool) {
      let plans = cache.get(server);
      const known = plans?.get(tool);
      if (known !== undefined) return known;
      const plan = buildPlan(rules, allToolsLimits, defaultAction, server, tool);
      if (cached < PLAN_CACHE_LIMIT) {
        if (plans === undefined) {
          plans = new Map();
          cache.set(server, plans);
        }
        plans.set(tool, plan);
        cached += 1;
      }
      return plan;
    },
  };
}

function buildPlan(
  rules: CompiledRule[],
  allToolsLimits: CompiledLimit[],
  defaultAction: "allow" | "deny",
  server: string | undefined,
  tool: string,
): ToolPlan {
  const matched = rules.filter((rule) => rule.pattern.matches(server, tool)).sort(bySpecificity);
  const limits = new Map<string, CompiledLimit>();
  for (const limit of [...matched.flatMap((rule) => rule.limits), ...allToolsLimits]) {
    const existing = limits.get(limit.counter);
    if (existing === undefined || limit.id < existing.id) limits.set(limit.counter, limit);
  }
  const primary = matched[0];
  return {
    matched,
    deny: matched.find((rule) => rule.action === "deny" || rule.hide),
    approve: matched.find((rule) => rule.action === "approve"),
    argumentChecks: matched.flatMap((rule) => rule.argumentChecks),
    limits: [...limits.values()].sort((a, b) => compareText(a.counter, b.counter)),
    allowReason:
      primary === undefined
        ? `"${tool}" is allowed by the policy's default (${defaultAction})`
        : `"${tool}" is allowed by ${primary.id}`,
  };
}

function bySpecificity(a: CompiledRule, b: CompiledRule): number {
  return b.pattern.specificity - a.pattern.specificity || compareText(a.id, b.id);
}

function compareText(a: string, b: string): number {
  if (a < b) return -1;
  return a > b ? 1 : 0;
}
