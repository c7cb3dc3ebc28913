/**
 * The policy file, as users write it. PolicyLayer's policy.json is a subset of this and loads verbatim.
 * Every object is strict: an unknown key is an error, because a misspelt `limits` that is silently
 * ignored is a rate limit that silently does not exist.
 */
import { z } from "zod";
import { parseWindow } from "./window.js";

const WindowSchema = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  const parsed = parseWindow(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.message });
});

export const SCOPES = ["grant", "session", "agent", "global"] as const;
export type Scope = (typeof SCOPES)[number];

export const LimitSchema = z.strictObject({
  counter: z.string().min(1).optional(),
  window: WindowSchema,
  max: z.number().int().min(1),
  scope: z.enum(SCOPES).optional(),
  algorithm: z.enum(["sliding", "fixed"]).optional(),
});
export type LimitDoc = z.infer<typeof LimitSchema>;

export const CONDITION_OPERATORS = [
  "equals",
  "not_equals",
  "in",
  "not_in",
  "regex",
  "contains",
  "exists",
  "gt",
  "gte",
  "lt",
  "lte",
] as const;
export type ConditionOperator = (typeof CONDITION_OPERATORS)[number];

export const ConditionSchema = z
  .strictObject({
    arg: z.string().min(1),
    equals: z.json().optional(),
    not_equals: z.json().optional(),
    in: z.array(z.json()).optional(),
    not_in: z.array(z.json()).optional(),
    regex: z.string().optional(),
    contains: z.union([z.string(), z.number(), z.boolean()]).optional(),
    exists: z.boolean().optional(),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
    reason: z.string().optional(),
  })
  .superRefine((condition, ctx) => {
    const used = CONDITION_OPERATORS.filter((op) => condition[op] !== undefined);
    if (used.length !== 1) {
      const found = used.length === 0 ? "none" : used.join(", ");
      ctx.addIssue({
        code: "custom",
        message: `a condition needs exactly one operator (${CONDITION_OPERATORS.join(", ")}); found ${found}`,
      });
    }
    if (condition.regex !== undefined) {
      try {
        new RegExp(condition.regex, "u");
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          path: ["regex"],
          message: `regex does not compile: ${errorText(error)}`,
        });
      }
    }
  });
export type ConditionDoc = z.infer<typeof ConditionSchema>;

export const ToolRuleSchema = z.strictObject({
  description: z.string().optional(),
  action: z.enum(["allow", "deny", "approve"]).optional(),
  reason: z.string().optional(),
  limits: z.array(LimitSchema).optional(),
  /** PolicyLayer's FAQ writes a single limit as a `rate_limit` block; it is one more entry of `limits`. */
  rate_limit: LimitSchema.optional(),
  args_schema: z.record(z.string(), z.unknown()).optional(),
  deny_if: z.array(ConditionSchema).optional(),
  hide: z.boolean().optional(),
  mode: z.enum(["enforce", "shadow"]).optional(),
  approval: z.strictObject({ timeout: WindowSchema.optional() }).optional(),
});
export type ToolRuleDoc = z.infer<typeof ToolRuleSchema>;

const InvariantName = { name: z.string().min(1).optional() };

export const InvariantSchema = z.union([
  z.literal("default_deny"),
  z.strictObject({ default_deny: z.literal(true), ...InvariantName }),
  z.strictObject({ never_allow: z.string().min(1), ...InvariantName }),
  z.strictObject({
    limit: z.strictObject({
      tool: z.string().min(1),
      max: z.number().int().min(0),
      window: WindowSchema,
      scope: z.enum(SCOPES),
    }),
    ...InvariantName,
  }),
  z.strictObject({
    always_allow: z.strictObject({
      tool: z.string().min(1),
      grant: z.string().min(1),
      agent: z.string().min(1).optional(),
      server: z.string().min(1).optional(),
      args: z.record(z.string(), z.json()).optional(),
      within: z.strictObject({ max: z.number().int().min(1), window: WindowSchema }).optional(),
    }),
    ...InvariantName,
  }),
]);
export type InvariantDoc = z.infer<typeof InvariantSchema>;

export const PolicySchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.union([z.literal("1"), z.literal(1)]),
  name: z.string().optional(),
  description: z.string().optional(),
  default: z.enum(["deny", "allow"]).optional(),
  mode: z.enum(["enforce", "shadow"]).optional(),
  all_tools: z
    .strictObject({ limits: z.array(LimitSchema).optional(), rate_limit: LimitSchema.optional() })
    .optional(),
  tools: z.record(z.string(), ToolRuleSchema).optional(),
  invariants: z.array(InvariantSchema).optional(),
});
export type PolicyDoc = z.infer<typeof PolicySchema>;

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
