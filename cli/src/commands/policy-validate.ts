import { formatProblem, readPolicyFile } from "@tollgate/policy";
import { ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";

export interface ValidateOptions {
  json?: boolean;
}

/** Validates every file given and reports every problem in each; non-zero if any file is invalid. */
export async function validatePolicies(
  files: string[],
  options: ValidateOptions,
  output: Output,
): Promise<number> {
  const results = await Promise.all(
    files.map(async (file) => ({ file, result: await readPolicyFile(file) })),
  );
  if (options.json) {
    const report = results.map(({ file, result }) =>
      result.ok
        ? { file, valid: true, digest: result.policy.digest }
        : { file, valid: false, problems: result.problems },
    );
    output.out(JSON.stringify(report, null, 2));
  } else {
    for (const { file, result } of results) {
      if (result.ok) {
        const rules = Object.keys(result.policy.doc.tools ?? {}).length;
        output.out(
          `${file}: valid (${rules} rules, default ${result.policy.doc.default ?? "deny"}, ${result.policy.digest})`,
        );
      } else {
        output.err(`${file}: ${result.problems.length} problem${result.problems.length === 1 ? "" : "s"}`);
        for (const problem of result.problems) output.err(`  ${formatProblem(problem)}`);
      }
    }
  }
  return results.every(({ result }) => result.ok) ? ExitCode.ok : ExitCode.invalidInput;
}
