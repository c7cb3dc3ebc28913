import { readFile } from "node:fs/promises";
import {
  type Counterexample,
  type DecidedCall,
  formatProblem,
  type InvariantResult,
  readPolicyFile,
  TRACE_EPOCH,
  type VerifyReport,
  verifyPolicy,
} from "@tollgate/policy";
import { ExitCode, UsageError } from "../exit-codes.js";
import { type Output, table } from "../output.js";

export interface VerifyCommandOptions {
  runs: number;
  seed?: number;
  json?: boolean;
  tools?: string;
}

export async function verifyCommand(
  file: string,
  options: VerifyCommandOptions,
  output: Output,
): Promise<number> {
  const loaded = await readPolicyFile(file);
  if (!loaded.ok) {
    for (const problem of loaded.problems) output.err(formatProblem(problem));
    return ExitCode.invalidInput;
  }
  const tools = options.tools === undefined ? [] : await readToolNames(options.tools);
  const verifyOptions = {
    runs: options.runs,
    tools,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  const report = verifyPolicy(loaded.policy, verifyOptions);
  if (options.json) {
    output.out(JSON.stringify(report, null, 2));
  } else {
    output.out(renderReport(report));
  }
  return report.ok ? ExitCode.ok : ExitCode.failed;
}

/** A tool catalogue: a list of names, or an MCP tools/list result (`{ tools: [{ name }] }`). */
async function readToolNames(file: string): Promise<string[]> {
  const value: unknown = JSON.parse(await readFile(file, "utf8"));
  const list = Array.isArray(value) ? value : (value as { tools?: unknown }).tools;
  if (!Array.isArray(list))
    throw new UsageError(`${file}: expected a list of tool names or { "tools": [{ "name": … }] }`);
  return list.map((entry) =>
    typeof entry === "string" ? entry : String((entry as { name?: unknown }).name),
  );
}

export function renderReport(report: VerifyReport): string {
  const lines = [
    `verify ${report.policy} (${report.digest.slice(0, 19)}…)  seed ${report.seed}, ${report.runs} traces per invariant`,
  ];
  if (report.results.length === 0) {
    lines.push("  no invariants to verify: add an `invariants` section to the policy (see docs/POLICY.md)");
    return lines.join("\n");
  }
  for (const result of report.results) {
    lines.push(renderResult(result));
    if (result.counterexample !== undefined)
      lines.push(renderCounterexample(result.counterexample, report.seed));
  }
  const violated = report.results.filter((r) => r.status === "violated").length;
  const proven = report.results.length - violated;
  lines.push(`${proven} proven, ${violated} violated`);
  return lines.join("\n");
}

function renderResult(result: InvariantResult): string {
  const mark = result.status === "proven" ? "✓" : "✗";
  const volume = `${result.traces} traces, ${result.calls.toLocaleString("en-US")} calls`;
  return `  ${mark} ${result.title}  [${result.id}]  ${result.status === "proven" ? volume : "VIOLATED"}`;
}

function renderCounterexample(example: Counterexample, seed: number): string {
  const involved = new Set(example.calls);
  const rows = [
    ["", "#", "time", "server:tool", "agent", "grant", "session", "args", "decision", "rule"],
    ...example.trace.map((entry, index) => traceRow(entry, index, involved.has(index))),
  ];
  return [
    `    ${example.message}`,
    `    counterexample (shrunk; reproduce with --seed ${seed}, fast-check path "${example.path}"):`,
    table(rows, "      "),
  ].join("\n");
}

function traceRow(entry: DecidedCall, index: number, involved: boolean): string[] {
  const { call, decision } = entry;
  const time = new Date(TRACE_EPOCH + entry.offset).toISOString().slice(11, 23);
  const tool = call.server === undefined ? call.tool : `${call.server}:${call.tool}`;
  const approved = call.approval === "granted" ? " (approved)" : "";
  return [
    involved ? "→" : "",
    String(index),
    `${time} (+${entry.offset}ms)`,
    tool + approved,
    call.identity.agent,
    call.identity.grant,
    call.identity.session,
    truncate(JSON.stringify(call.args ?? {}), 40),
    decision.outcome,
    decision.rule,
  ];
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}
