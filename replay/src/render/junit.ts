/** The report as JUnit XML: one test case per condition, so CI systems show what failed and why. */
import type { ReplayReport } from "../report.js";
import { coverageOf, formatPercent } from "../verdict.js";
import { headline } from "./facts.js";

interface Case {
  name: string;
  failure?: string;
}

export function renderJunit(report: ReplayReport): string {
  const cases: Case[] = [
    {
      name: "self-check: the live policy reproduces the recorded decisions",
      ...(report.selfCheck.mismatches > 0
        ? {
            failure: `${report.selfCheck.mismatches} of ${report.selfCheck.checked} recorded decisions differ`,
          }
        : {}),
    },
    coverageCase(report),
    ...(report.verdict?.checks ?? []).map((check) => ({
      name: `threshold ${check.threshold}`,
      ...(check.breached ? { failure: `${check.count} calls (${formatPercent(check.percent)})` } : {}),
    })),
  ];
  const failures = cases.filter((entry) => entry.failure !== undefined).length;
  const body = cases
    .map((entry) =>
      entry.failure === undefined
        ? `    <testcase classname="tollgate.replay" name="${xml(entry.name)}"/>`
        : `    <testcase classname="tollgate.replay" name="${xml(entry.name)}">\n      <failure message="${xml(entry.failure)}">${xml(entry.failure)}</failure>\n    </testcase>`,
    )
    .join("\n");
  return `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="tollgate replay" tests="${cases.length}" failures="${failures}">
  <testsuite name="${xml(`replay of ${report.provenance.candidate.name}`)}" tests="${cases.length}" failures="${failures}" timestamp="${new Date(report.createdAt).toISOString()}">
    <system-out>${xml(headline(report))}</system-out>
${body}
  </testsuite>
</testsuites>
`;
}

function coverageCase(report: ReplayReport): Case {
  const name = "coverage: the recorded calls could be replayed";
  const verdict = report.verdict;
  if (verdict === undefined || verdict.coverage >= verdict.minCoverage) return { name };
  return {
    name,
    failure: `coverage ${formatPercent(coverageOf(report) * 100)} is below ${formatPercent(verdict.minCoverage * 100)}`,
  };
}

function xml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
