/**
 * The transition matrix's axes: what a decision meant for the call. Argument refusals count as
 * denials by rule (the rule id says which check); `shadow` is a call let through only because the
 * policy is in shadow mode.
 */
import type { Basis, Outcome } from "@tollgate/policy";

export const CATEGORIES = [
  "allow",
  "shadow",
  "deny_rule",
  "deny_default",
  "rate_limited",
  "approval_required",
] as const;

export type Category = (typeof CATEGORIES)[number];

export const CATEGORY_LABELS: Record<Category, string> = {
  allow: "allow",
  shadow: "allow (shadow mode)",
  deny_rule: "deny by rule",
  deny_default: "deny by default",
  rate_limited: "rate-limited",
  approval_required: "approval required",
};

export function categoryOf(outcome: Outcome, basis: Basis): Category {
  switch (outcome) {
    case "allow":
      return basis === "shadow_mode" ? "shadow" : "allow";
    case "deny":
      return basis === "default" ? "deny_default" : "deny_rule";
    case "rate_limited":
      return "rate_limited";
    case "approval_required":
      return "approval_required";
  }
}

/** Let through without a person: what "allowed" means for newly allowed and newly blocked. */
export function letsThrough(category: Category): boolean {
  return category === "allow" || category === "shadow";
}

/**
 * The category's place in CATEGORIES, by which the report's matrix and timeline are indexed. A
 * switch, not a lookup in an object keyed by category: it runs twice for every replayed call, and a
 * keyed load costs more.
 */
export function categoryIndex(category: Category): number {
  switch (category) {
    case "allow":
      return 0;
    case "shadow":
      return 1;
    case "deny_rule":
      return 2;
    case "deny_default":
      return 3;
    case "rate_limited":
      return 4;
    case "approval_required":
      return 5;
  }
}

/** Adds `more` into `counts`, both indexed alike (by category): merging two builders' counts. */
export function addCounts(counts: number[], more: readonly number[]): void {
  more.forEach((count, index) => {
    counts[index] = (counts[index] ?? 0) + count;
  });
}
