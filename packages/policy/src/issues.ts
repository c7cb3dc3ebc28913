/**
 * Turns zod's validation issues into sentences a person understands, with a suggestion
 * for a misspelt key ("unknown key `limit`; did you mean `limits`?").
 */
import type { z } from "zod";
import type { PathSegment } from "./path.js";

export interface SchemaProblem {
  path: PathSegment[];
  /** Set when the problem is one key of an object (an unknown key), so the line points at that key. */
  key?: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

export function describeIssues(issues: readonly Issue[], knownKeysAt: (path: PathSegment[]) => string[]) {
  const problems: SchemaProblem[] = [];
  for (const issue of issues) {
    problems.push(...describeIssue(issue, [], knownKeysAt));
  }
  return problems;
}

function describeIssue(
  issue: Issue,
  prefix: PathSegment[],
  knownKeysAt: (path: PathSegment[]) => string[],
): SchemaProblem[] {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: [...path, key],
        key,
        message: unknownKey(key, knownKeysAt(path)),
      }));
    case "invalid_type":
      if (issue.input === undefined) {
        return [{ path, message: `${nameOf(path)} is required` }];
      }
      return [{ path, message: `expected ${article(issue.expected)}, found ${describeValue(issue.input)}` }];
    case "invalid_value":
      if (issue.input === undefined) {
        return [{ path, message: `${nameOf(path)} is required` }];
      }
      return [{ path, message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}` }];
    case "too_small":
      return [{ path, message: tooSmall(issue) }];
    case "too_big":
      return [{ path, message: `must be at most ${String(issue.maximum)}` }];
    case "invalid_union":
      return describeUnion(issue, path, knownKeysAt);
    default:
      return [{ path, message: issue.message }];
  }
}

/**
 * A union failed. Branches missing a key they require are forms the author did not mean; of the
 * rest, report the one that got furthest (its first problem is deepest).
 */
function describeUnion(
  issue: Extract<Issue, { code: "invalid_union" }>,
  path: PathSegment[],
  knownKeysAt: (path: PathSegment[]) => string[],
): SchemaProblem[] {
  const branches = issue.errors.filter((branch) => branch.length > 0);
  if (branches.length === 0) return [{ path, message: issue.message }];
  if (branches.every((branch) => branch.every((i) => i.path.length === 0 && i.input === undefined))) {
    return [{ path, message: `${nameOf(path)} is required` }];
  }
  const wrongType = (branch: Issue[]) =>
    branch.every((i) => (i.code === "invalid_type" || i.code === "invalid_value") && i.path.length === 0);
  if (branches.every(wrongType)) {
    const expected = branches.flatMap((b) => b.map(expectedForm));
    return [{ path, message: `expected ${[...new Set(expected)].join(" or ")}` }];
  }
  const candidates = branches.filter((branch) => !wrongType(branch) && !branch.some(isMissingKey));
  if (candidates.length === 0) {
    const forms = branches.flatMap((branch) => branch.filter(isMissingKey).map((i) => String(i.path[0])));
    return [
      { path, message: `none of the accepted forms fits; write one of: ${[...new Set(forms)].join(", ")}` },
    ];
  }
  const depth = (branch: Issue[]) => Math.max(...branch.map((i) => i.path.length));
  const best = candidates.reduce((a, b) =>
    depth(b) > depth(a) || (depth(b) === depth(a) && b.length < a.length) ? b : a,
  );
  return best.flatMap((inner) => describeIssue(inner, path, knownKeysAt));
}

function expectedForm(issue: Issue): string {
  if (issue.code === "invalid_type") return article(issue.expected);
  if (issue.code === "invalid_value") return issue.values.map((v) => JSON.stringify(v)).join(" or ");
  return "a value";
}

function isMissingKey(issue: Issue): boolean {
  const missing =
    (issue.code === "invalid_type" || issue.code === "invalid_value") && issue.input === undefined;
  return missing && issue.path.length === 1;
}

function tooSmall(issue: Extract<Issue, { code: "too_small" }>): string {
  if (issue.origin === "string") return "must not be empty";
  if (issue.origin === "array") return `must have at least ${String(issue.minimum)} entries`;
  return `must be at least ${String(issue.minimum)}`;
}

function unknownKey(key: string, known: string[]): string {
  const suggestion = closest(key, known);
  const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
  const allowed = known.length > 0 ? ` (allowed here: ${known.join(", ")})` : "";
  return `unknown key "${key}"${hint === "" ? allowed : hint}`;
}

function nameOf(path: PathSegment[]): string {
  const last = path[path.length - 1];
  return last === undefined ? "a value" : `"${String(last)}"`;
}

function article(type: string): string {
  if (type === "int") return "a whole number";
  if (type === "object") return "an object";
  if (type === "array") return "a list";
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" && !Number.isInteger(value)) return `the number ${value}`;
  return `${typeof value} ${JSON.stringify(value)}`;
}

/** The known key within edit distance 2 of what was written, if any. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
