/**
 * `tollgate gate`: the one CI step for a policy change. Validates the candidate, proves its own
 * invariants (`verify`), replays it against the recorded window, and prints one verdict with every
 * reason. Exit codes: 0 may ship, 1 an invariant or a threshold failed, 2 the replay cannot vouch
 * (self-check or coverage), 3 usage or input error (an invalid policy included).
 */
import { writeFile } from "node:fs/promises";
import { type CompiledPolicy, formatProblem, readPolicyFile, verifyPolicy } from "@tollgate/policy";
import { renderReport, type Verdict } from "@tollgate/replay";
import { ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";
import { exitCodeOf, type ReplayCommandOptions, replayAndJudge } from "./replay.js";

export interface GateOptions extends Omit<ReplayCommandOptions, "format" | "output"> {
  runs: number;
  /** Write the Markdown report (verdict first) here, for a pull-request comment. */
  markdown?: string;
  json?: boolean;
}

/** Without --fail-on the gate refuses what a policy change must never do silently. */
export const DEFAULT_GATE_THRESHOLDS = ["newly-allowed>0"];

export async function gateCommand(options: GateOptions, output: Output): Promise<number> {
  const candidate = await loadOrReport(options.policy, "candidate", output);
  const baselines = await Promise.all(
    (options.baseline ?? []).map((file) => loadOrReport(file, "baseline", output)),
  );
  if (candidate === undefined || baselines.includes(undefined)) {
    output.out("gate: INVALID\n  - a policy file is invalid (problems above)");
    return ExitCode.usage;
  }
  const invariants = verifyPolicy(candidate, {
    runs: options.runs,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  });
  const violated = invariants.results.filter((result) => result.status === "violated");
  const failOn =
    options.failOn === undefined || options.failOn.length === 0 ? DEFAULT_GATE_THRESHOLDS : options.failOn;
  const { report, verdict } = await replayAndJudge(candidate, baselines as CompiledPolicy[], {
    ...options,
    failOn,
    format: "json",
  });
  const reasons = [
    ...violated.map(
      (result) =>
        `invariant ${result.id} (${result.title}) is violated (run \`tollgate verify ${options.policy}\` for the counterexample)`,
    ),
    ...verdict.reasons,
  ];
  const result = gateResult(verdict, violated.length > 0);
  const summary = [
    `gate: ${result.toUpperCase()} — ${options.policy}`,
    `  validate: ok (${candidate.name} ${candidate.digest})`,
    `  verify: ${invariants.results.length - violated.length} of ${invariants.results.length} invariants proven (${options.runs} traces each)`,
    `  replay: ${report.summary.calls} calls, ${report.summary.changed} would change (${report.summary.newlyAllowed} newly allowed, ${report.summary.newlyBlocked} newly blocked); self-check ${report.selfCheck.checked - report.selfCheck.mismatches}/${report.selfCheck.checked}`,
    ...reasons.map((reason) => `  - ${reason}`),
  ].join("\n");
  if (options.markdown !== undefined) {
    const verdictMarkdown = [
      `**gate: ${result}**`,
      "",
      ...reasons.map((reason) => `- ${reason}`),
      "",
      "",
    ].join("\n");
    await writeFile(options.markdown, verdictMarkdown + renderReport(report, "markdown"));
  }
  output.out(
    options.json
      ? JSON.stringify({ result, reasons, invariants: invariants.results, report }, null, 2)
      : summary,
  );
  return result === "pass" ? ExitCode.ok : result === "fail" ? ExitCode.failed : exitCodeOf(verdict);
}

function gateResult(verdict: Verdict, invariantViolated: boolean): Verdict["result"] {
  if (verdict.result === "invalid") return "invalid";
  return invariantViolated || verdict.result === "fail" ? "fail" : "pass";
}

async function loadOrReport(file: string, role: string, output: Output): Promise<CompiledPolicy | undefined> {
  const loaded = await readPolicyFile(file);
  if (loaded.ok) return loaded.policy;
  output.err(`gate: the ${role} policy ${file} is invalid:`);
  for (const problem of loaded.problems) output.err(`  ${formatProblem(problem)}`);
  return undefined;
}
