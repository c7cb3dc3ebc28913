/**
 * A problem found in a policy: where it is (file, JSON path, line) and a sentence a person understands.
 * Loading collects every problem instead of stopping at the first, so one run of
 * `tollgate policy validate` shows everything that needs fixing.
 */
export interface PolicyProblem {
  file: string;
  /** JSON path into the document, for example `tools.k8s_pod_exec.limits[0].max`. */
  path: string;
  /** 1-based line and column where the format has them. */
  line?: number;
  column?: number;
  message: string;
}

export class PolicyError extends Error {
  readonly problems: readonly PolicyProblem[];

  constructor(problems: readonly PolicyProblem[]) {
    super(formatProblems(problems));
    this.name = "PolicyError";
    this.problems = problems;
  }
}

export function formatProblem(problem: PolicyProblem): string {
  const where =
    problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  const path = problem.path === "" ? "" : ` at ${problem.path}`;
  return `${where}${path}: ${problem.message}`;
}

export function formatProblems(problems: readonly PolicyProblem[]): string {
  const noun = problems.length === 1 ? "problem" : "problems";
  return [
    `invalid policy (${problems.length} ${noun}):`,
    ...problems.map((p) => `  ${formatProblem(p)}`),
  ].join("\n");
}
