/**
 * What replay needs to know about a policy without evaluating it: whether a tool's decision can
 * depend on its arguments (so redacted arguments make it unreplayable, and unchecked arguments
 * need not be parsed), and how far back counters reach (the warm-up before a replayed window).
 */
import type { Ruleset } from "./compile.js";
import type { Decidable } from "./decide.js";

/** True when any argument check (args_schema, deny_if) of the live or shadow rules applies. */
export function readsArguments(policy: Decidable, server: string | undefined, tool: string): boolean {
  const { live, shadow } = policy.rules;
  return hasChecks(live, server, tool) || (shadow !== undefined && hasChecks(shadow, server, tool));
}

function hasChecks(ruleset: Ruleset, server: string | undefined, tool: string): boolean {
  return ruleset.plan(server, tool).argumentChecks.length > 0;
}

/** The longest rate-limit window in the policy (live and shadow rules), 0 when it has none. */
export function longestWindowMs(policy: Decidable): number {
  const { live, shadow } = policy.rules;
  let longest = 0;
  for (const ruleset of shadow === undefined ? [live] : [live, shadow]) {
    for (const limit of ruleset.allToolsLimits) longest = Math.max(longest, limit.windowMs);
    for (const rule of ruleset.rules) {
      for (const limit of rule.limits) longest = Math.max(longest, limit.windowMs);
    }
  }
  return longest;
}
