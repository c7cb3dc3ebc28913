/**
 * fast-check arbitraries for the engine's property tests: random valid policy documents and random
 * traffic over a small, shared vocabulary of tools, identities, arguments and window lengths.
 *
 * The vocabulary is deliberately tiny. Properties about rate limits only say something when calls
 * collide on the same counter key at the same moments, so tools, identities and gaps are drawn from
 * small pools, and traffic comes in bursts that repeat one call.
 */
import fc from "fast-check";
import type { Call, Identity, LimitDoc, PolicyDoc, Scope, ToolRuleDoc } from "../src/index.js";

export type ConditionDoc = NonNullable<ToolRuleDoc["deny_if"]>[number];

/** Tools some rule may be written for; `/` and `.` may appear in MCP tool names. */
export const TOOLS = [
  "t_read",
  "t_write",
  "t_exec",
  "k8s_get_pods",
  "k8s_get_logs",
  "k8s_pod_exec",
  "fs/read.file",
] as const;

/**
 * Tools no rule key is written for. `srv1:t_write` is a tool name containing the server separator:
 * MCP tool names never do, but an agent chooses the name, so the decider must still be right.
 */
export const UNKNOWN_TOOLS = ["unknown_tool", "t_reader", "k8s", "srv1:t_write", ""] as const;

export const SERVERS = ["srv1", "srv2"] as const;

/** Rule keys: exact names, globs, and server-qualified keys. */
export const RULE_KEYS = [
  "t_read",
  "t_write",
  "t_exec",
  "k8s_get_pods",
  "k8s_pod_exec",
  "fs/read.file",
  "k8s_*",
  "k8s_get_*",
  "t_?ead",
  "t_*",
  "*",
  "*_exec",
  "fs/*",
  "srv1:t_write",
  "srv1:*",
  "srv?:t_*",
  "srv2:k8s_pod_exec",
] as const;

/** Window lengths limits are written with; traffic gaps are drawn around the same lengths. */
export const WINDOWS_MS = [1_000, 2_000, 2_500, 5_000, 10_000] as const;

/** An epoch time that is a multiple of every window, so fixed windows start at known offsets. */
export const EPOCH_START = 1_700_000_000_000;

export interface IdentityPools {
  agents: readonly string[];
  grants: readonly string[];
  sessions: readonly string[];
}

export const IDENTITIES: IdentityPools = {
  agents: ["agent_a", "agent_b"],
  grants: ["grant_x", "grant_y", "grant_z"],
  sessions: ["session_1", "session_2", "session_3"],
};

/** A second pool sharing no agent, grant or session with IDENTITIES, for key isolation. */
export const OTHER_IDENTITIES: IdentityPools = {
  agents: ["agent_c"],
  grants: ["grant_v", "grant_w"],
  sessions: ["session_7", "session_8"],
};

export interface TimedCall {
  at: number;
  call: Call;
}

export type Trace = TimedCall[];

// ---------------------------------------------------------------------------------------------
// Policies

/** How a counter counts; limits that share a counter are all rendered from one of these. */
export interface CounterDef {
  windowMs: number;
  max: number;
  scope: Scope;
  algorithm: "sliding" | "fixed";
}

/** A limit before rendering: either a shared counter from the policy's pool or its own settings. */
interface LimitSpec {
  shared: number | undefined;
  own: CounterDef;
  /** Picks one of the equivalent ways to write the window (5, "5s", ...). */
  windowForm: number;
  /** Whether to write `scope: session` / `algorithm: sliding` explicitly or leave them to the default. */
  spellDefaults: boolean;
}

interface RuleSpec {
  action: "allow" | "deny" | "approve" | undefined;
  reason: string | undefined;
  limits: LimitSpec[] | undefined;
  rateLimit: LimitSpec | undefined;
  argsSchema: Record<string, unknown> | undefined;
  denyIf: ConditionDoc[] | undefined;
  hide: boolean | undefined;
  mode: "enforce" | "shadow" | undefined;
  approvalTimeout: string | undefined;
}

interface PolicySpec {
  version: "1" | 1;
  default: "deny" | "allow" | undefined;
  mode: "enforce" | "shadow" | undefined;
  counters: CounterDef[];
  /** Whether rules keep their args_schema (see policySpecArb). */
  schemas: boolean;
  rules: [string, RuleSpec][];
  allTools: { limits: LimitSpec[] | undefined; rateLimit: LimitSpec | undefined } | undefined;
}

export const SHARED_COUNTER_NAMES = ["c_alpha", "c_beta", "c_gamma"] as const;

export interface PolicyOptions {
  /** Force every limit to this algorithm (the fixed-window bound is about fixed counters only). */
  algorithm?: "sliding" | "fixed";
  /** Leave out the global scope: key isolation is about keys that share no counter. */
  withoutGlobalScope?: boolean;
  /** Force the policy's `mode` (rule-level `mode: shadow` is still generated). */
  mode?: "enforce" | "shadow";
}

const scopeArb = fc.constantFrom<Scope>("grant", "session", "agent", "global");

function counterDefArb(options: PolicyOptions): fc.Arbitrary<CounterDef> {
  return fc.record({
    windowMs: fc.constantFrom(...WINDOWS_MS),
    max: fc.integer({ min: 1, max: 4 }),
    scope: options.withoutGlobalScope ? scopeArb.filter((scope) => scope !== "global") : scopeArb,
    algorithm:
      options.algorithm === undefined
        ? fc.oneof(
            { weight: 4, arbitrary: fc.constant<"sliding">("sliding") },
            { weight: 1, arbitrary: fc.constant<"fixed">("fixed") },
          )
        : fc.constant(options.algorithm),
  });
}

function limitSpecArb(options: PolicyOptions): fc.Arbitrary<LimitSpec> {
  return fc.record({
    shared: sometimes(0.5, fc.integer({ min: 0, max: SHARED_COUNTER_NAMES.length - 1 })),
    own: counterDefArb(options),
    windowForm: fc.nat({ max: 3 }),
    spellDefaults: fc.boolean(),
  });
}

/** A few values every argument of the vocabulary may take, including the wrong types. */
const ARGUMENT_VALUES: Record<string, readonly unknown[]> = {
  command: ["ls", "rm -rf /", "cat /etc/passwd", "échoué", ""],
  namespace: ["default", "kube-system", "prod"],
  count: [-1, 0, 1, 5, 2.5, "5"],
  metadata: [{ name: "web" }, { name: "prod-db" }, {}, "web", null, ["name"]],
  flags: [["force"], ["dry-run", "force"], [], "force"],
  dry_run: [true, false],
  url: ["https://example.com/x", "not a uri"],
};

const CONDITION_ARGS = [
  "command",
  "args.command",
  "namespace",
  "count",
  "metadata.name",
  "flags",
  "dry_run",
  "absent",
] as const;

const OPERAND_VALUES = [
  "ls",
  "rm -rf /",
  "default",
  "prod",
  "web",
  5,
  0,
  true,
  null,
  ["force"],
  { name: "web" },
];

const conditionArb: fc.Arbitrary<ConditionDoc> = fc
  .tuple(
    fc.constantFrom(...CONDITION_ARGS),
    fc.oneof(
      fc.record({ equals: fc.constantFrom(...OPERAND_VALUES) }),
      fc.record({ not_equals: fc.constantFrom(...OPERAND_VALUES) }),
      fc.record({ in: fc.subarray(OPERAND_VALUES, { minLength: 1, maxLength: 3 }) }),
      fc.record({ not_in: fc.subarray(OPERAND_VALUES, { minLength: 1, maxLength: 3 }) }),
      fc.record({ regex: fc.constantFrom("^rm", "passwd$", "prod", "^[a-z]+$", "é") }),
      fc.record({ contains: fc.constantFrom<string | number | boolean>("rm", "force", "dry", 5, true) }),
      fc.record({ exists: fc.boolean() }),
      fc.record({ gt: fc.constantFrom(0, 1, 2.5) }),
      fc.record({ gte: fc.constantFrom(0, 1, 5) }),
      fc.record({ lt: fc.constantFrom(0, 1, 2.5) }),
      fc.record({ lte: fc.constantFrom(0, 1, 5) }),
    ),
    sometimes(0.2, fc.constant("a condition refused it")),
  )
  .map(([arg, operator, reason]) => compact({ arg, ...operator, reason }) as ConditionDoc);

/**
 * Schemas use only keywords every draft shares, so that any validator agrees on them; `default`
 * is there to catch a validator that fills defaults into (mutates) the caller's arguments.
 */
const ARGS_SCHEMAS: Record<string, unknown>[] = [
  { type: "object", properties: { command: { type: "string", maxLength: 10 } } },
  { type: "object", required: ["namespace"] },
  { properties: { count: { type: "integer", minimum: 0 } } },
  { properties: { namespace: { enum: ["default", "prod"] } } },
  {
    properties: {
      metadata: { type: "object", properties: { name: { type: "string", pattern: "^[a-z-]+$" } } },
    },
  },
  { properties: { url: { type: "string", format: "uri" } } },
  { properties: { dry_run: { type: "boolean", default: true } } },
  { properties: { command: {}, namespace: {}, count: {} }, additionalProperties: false },
];

function ruleSpecArb(options: PolicyOptions): fc.Arbitrary<RuleSpec> {
  const limit = limitSpecArb(options);
  return fc.record({
    action: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: fc.constant<"allow">("allow") },
      { weight: 1, arbitrary: fc.constant<"deny">("deny") },
      { weight: 2, arbitrary: fc.constant<"approve">("approve") },
    ),
    reason: sometimes(0.2, fc.constant("the rule's reason")),
    limits: sometimes(0.6, fc.array(limit, { minLength: 1, maxLength: 2 })),
    rateLimit: sometimes(0.1, limit),
    argsSchema: sometimes(0.35, fc.constantFrom(...ARGS_SCHEMAS)),
    denyIf: sometimes(0.3, fc.array(conditionArb, { minLength: 1, maxLength: 2 })),
    hide: sometimes(0.1, fc.boolean()),
    mode: fc.oneof(
      { weight: 12, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constant<"enforce">("enforce") },
      { weight: 2, arbitrary: fc.constant<"shadow">("shadow") },
    ),
    approvalTimeout: sometimes(0.3, fc.constantFrom("30s", "2m")),
  });
}

function policySpecArb(options: PolicyOptions): fc.Arbitrary<PolicySpec> {
  const limit = limitSpecArb(options);
  const modeArb =
    options.mode !== undefined
      ? fc.constant(options.mode)
      : fc.oneof(
          { weight: 14, arbitrary: fc.constant(undefined) },
          { weight: 2, arbitrary: fc.constant<"enforce">("enforce") },
          { weight: 1, arbitrary: fc.constant<"shadow">("shadow") },
        );
  return fc.record({
    version: fc.constantFrom<"1" | 1>("1", 1),
    default: fc.constantFrom<"deny" | "allow" | undefined>(undefined, "deny", "allow"),
    mode: modeArb,
    counters: fc.array(counterDefArb(options), {
      minLength: SHARED_COUNTER_NAMES.length,
      maxLength: SHARED_COUNTER_NAMES.length,
    }),
    // Only some policies have schemas: compiling a policy's first schema costs the engine ~10 ms
    // (a fresh validator per policy), more than the rest of a run.
    schemas: fc.oneof(
      { weight: 9, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    rules: fc.uniqueArray(fc.tuple(fc.constantFrom(...RULE_KEYS), ruleSpecArb(options)), {
      minLength: 1,
      maxLength: 6,
      selector: ([key]) => key,
    }),
    allTools: sometimes(
      0.4,
      fc.record({
        limits: sometimes(0.75, fc.array(limit, { minLength: 1, maxLength: 2 })),
        rateLimit: sometimes(0.25, limit),
      }),
    ),
  });
}

/** Random valid policy documents (plain objects, as compilePolicy takes them). */
export function policyDocArb(options: PolicyOptions = {}): fc.Arbitrary<PolicyDoc> {
  return policySpecArb(options).map(renderPolicy);
}

function renderPolicy(spec: PolicySpec): PolicyDoc {
  const limitDoc = (limit: LimitSpec) => renderLimit(limit, spec.counters);
  const tools: Record<string, ToolRuleDoc> = {};
  for (const [key, rule] of spec.rules) {
    tools[key] = compact({
      action: rule.action,
      reason: rule.reason,
      limits: rule.limits?.map(limitDoc),
      rate_limit: rule.rateLimit === undefined ? undefined : limitDoc(rule.rateLimit),
      args_schema:
        spec.schemas && rule.argsSchema !== undefined ? structuredClone(rule.argsSchema) : undefined,
      deny_if: rule.denyIf,
      hide: rule.hide,
      mode: rule.mode,
      // approval settings are only valid on approve rules (a load error otherwise)
      approval:
        rule.action === "approve" && rule.approvalTimeout !== undefined
          ? { timeout: rule.approvalTimeout }
          : undefined,
    }) as ToolRuleDoc;
  }
  const allTools =
    spec.allTools === undefined
      ? undefined
      : compact({
          limits: spec.allTools.limits?.map(limitDoc),
          rate_limit: spec.allTools.rateLimit === undefined ? undefined : limitDoc(spec.allTools.rateLimit),
        });
  return compact({
    version: spec.version,
    default: spec.default,
    mode: spec.mode,
    tools,
    all_tools: allTools,
  }) as PolicyDoc;
}

function renderLimit(limit: LimitSpec, counters: CounterDef[]): LimitDoc {
  const def = limit.shared === undefined ? limit.own : counters[limit.shared]!;
  const spelled = limit.spellDefaults;
  return compact({
    counter: limit.shared === undefined ? undefined : SHARED_COUNTER_NAMES[limit.shared],
    window: windowForms(def.windowMs)[limit.windowForm % windowForms(def.windowMs).length]!,
    max: def.max,
    scope: def.scope === "session" && !spelled ? undefined : def.scope,
    algorithm: def.algorithm === "sliding" && !spelled ? undefined : def.algorithm,
  }) as LimitDoc;
}

/** Every documented way to write a window of `ms` milliseconds. */
export function windowForms(ms: number): (string | number)[] {
  const forms: (string | number)[] = [ms / 1_000, `${ms / 1_000}s`];
  if (ms === 1_000) forms.push("second");
  if (ms % 60_000 === 0) forms.push(`${ms / 60_000}m`);
  return forms;
}

// ---------------------------------------------------------------------------------------------
// Traffic

export interface TrafficOptions {
  identities?: IdentityPools;
  /** Tools to call; by default the universe plus unknown tools. */
  tools?: readonly string[];
  /** Gaps are drawn around these window lengths. */
  windows?: readonly number[];
  maxSegments?: number;
}

export function identityArb(pools: IdentityPools): fc.Arbitrary<Identity> {
  return fc.record({
    agent: fc.constantFrom(...pools.agents),
    grant: fc.constantFrom(...pools.grants),
    session: fc.constantFrom(...pools.sessions),
  });
}

const argumentObjectArb: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    Object.fromEntries(
      Object.entries(ARGUMENT_VALUES).map(([name, values]) => [name, fc.constantFrom(...values)]),
    ),
    { requiredKeys: [] },
  )
  .map((args) => structuredClone(args));

/** Arguments: mostly objects from the vocabulary, sometimes absent, now and then not an object. */
export const argsArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 16, arbitrary: argumentObjectArb },
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, [], ["command"], "ls", 42, true) },
);

export function callArb(options: TrafficOptions = {}): fc.Arbitrary<Call> {
  const tools = options.tools ?? [...TOOLS, ...UNKNOWN_TOOLS];
  const toolArb =
    options.tools !== undefined
      ? fc.constantFrom(...tools)
      : fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...TOOLS) },
          { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_TOOLS) },
        );
  return fc
    .record({
      tool: toolArb,
      server: sometimes(0.5, fc.constantFrom(...SERVERS)),
      args: argsArb,
      identity: identityArb(options.identities ?? IDENTITIES),
      approval: sometimes(0.15, fc.constant<"granted">("granted")),
    })
    .map((call) => compact(call) as unknown as Call);
}

/** Gaps between calls: simultaneous, 1 ms, small, exactly a window, a window ± 1 ms, or long. */
export function gapArb(windows: readonly number[] = WINDOWS_MS): fc.Arbitrary<number> {
  const window = fc.constantFrom(...windows);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.constant(1) },
    { weight: 4, arbitrary: fc.integer({ min: 2, max: 300 }) },
    { weight: 3, arbitrary: window },
    { weight: 3, arbitrary: fc.tuple(window, fc.constantFrom(-1, 1)).map(([w, d]) => w + d) },
    { weight: 1, arbitrary: fc.integer({ min: 10_001, max: 40_000 }) },
  );
}

/** A segment is one call, or a burst repeating one call template so that limits are really hit. */
function segmentArb(options: TrafficOptions): fc.Arbitrary<{ call: Call; gaps: number[] }> {
  const gap = gapArb(options.windows);
  return fc.record({
    call: callArb(options),
    gaps: fc.oneof(
      fc.array(gap, { minLength: 1, maxLength: 1 }),
      fc.array(gap, { minLength: 2, maxLength: 7 }),
    ),
  });
}

/** Random traffic: calls with non-decreasing integer timestamps. */
export function traceArb(options: TrafficOptions = {}): fc.Arbitrary<Trace> {
  return fc
    .tuple(
      fc.integer({ min: 0, max: 20_000 }),
      fc.array(segmentArb(options), { minLength: 1, maxLength: options.maxSegments ?? 12 }),
    )
    .map(([offset, segments]) => {
      let at = EPOCH_START + offset;
      const trace: Trace = [];
      for (const { call, gaps } of segments) {
        for (const gap of gaps) {
          at += gap;
          trace.push({ at, call: structuredClone(call) });
        }
      }
      return trace;
    });
}

/** `arbitrary`'s value with the given probability, otherwise undefined (a key left out). */
export function sometimes<T>(probability: number, arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  const weight = Math.round(probability * 100);
  return fc.oneof({ weight: 100 - weight, arbitrary: fc.constant(undefined) }, { weight, arbitrary });
}

/** Drops keys whose value is undefined, so documents and calls look as if written by hand. */
export function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
