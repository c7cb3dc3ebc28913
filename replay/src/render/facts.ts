/**
 * What every format shows, computed once: the headline, the matrix as rows, the verdict lines.
 * Formats differ in markup only, so they cannot disagree about a number.
 */
import { CATEGORIES, CATEGORY_LABELS } from "../categories.js";
import type { ReplayReport, TransitionCell } from "../report.js";
import type { GroupCount } from "../tally.js";
import { coverageOf, formatPercent } from "../verdict.js";

export const ATTRIBUTION_ROWS = 10;

export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(".000Z", "Z");
}

export function headline(report: ReplayReport): string {
  const { summary } = report;
  return `${summary.calls} calls replayed: ${summary.changed} would change (${summary.newlyAllowed} newly allowed, ${summary.newlyBlocked} newly blocked, ${summary.cascades} of them rate-limit cascades)`;
}

export function provenanceLines(report: ReplayReport): [string, string][] {
  const { provenance } = report;
  return [
    [
      "candidate",
      `${provenance.candidate.name} ${provenance.candidate.digest} (${provenance.candidate.source})`,
    ],
    ...provenance.baselines.map((baseline): [string, string] => [
      "baseline",
      `${baseline.name} ${baseline.digest} (${baseline.source})`,
    ]),
    ...provenance.recordedPolicies.map((policy): [string, string] => [
      "recorded under",
      `${policy.name ?? "(unnamed)"} ${policy.digest}: ${policy.calls} calls`,
    ]),
    [
      "window",
      `${isoTime(provenance.window.from)} → ${isoTime(provenance.window.to)} (warm-up from ${isoTime(provenance.warmupFrom)})`,
    ],
    ["source", `${provenance.source.kind}: ${provenance.source.detail}`],
    ...(Object.keys(provenance.filter).length > 0
      ? [["filter", JSON.stringify(provenance.filter)] as [string, string]]
      : []),
    ["seed", String(provenance.seed)],
    ["tollgate", report.tollgateVersion],
  ];
}

export function coverageLines(report: ReplayReport): string[] {
  const { coverage, selfCheck } = report;
  return [
    `calls: ${coverage.calls} read, ${coverage.replayed} re-decided, ${coverage.approvals} approvals replayed; coverage ${formatPercent(coverageOf(report) * 100)}`,
    ...coverage.notReplayable.map((entry) => `not replayable: ${entry.calls} calls: ${entry.reason}`),
    ...coverage.unverified.map(
      (entry) =>
        `not self-checked: ${entry.calls} calls decided by ${entry.name ?? "(unnamed)"} ${entry.digest} (no --baseline for it)`,
    ),
    `self-check: ${selfCheck.checked - selfCheck.mismatches} of ${selfCheck.checked} recorded decisions reproduced${selfCheck.mismatches > 0 ? `, ${selfCheck.mismatches} MISMATCHES` : ""}`,
  ];
}

/** The matrix with labels: header row, then one row per `before` category (only non-empty rows). */
export function matrixRows(report: ReplayReport): { header: string[]; rows: string[][] } {
  const header = ["before \\ after", ...CATEGORIES.map((category) => CATEGORY_LABELS[category])];
  const rows = CATEGORIES.flatMap((before, row) => {
    const counts = report.matrix[row] ?? [];
    if (counts.every((count) => count === 0)) return [];
    return [[CATEGORY_LABELS[before], ...counts.map((count) => String(count))]];
  });
  return { header, rows };
}

export function verdictLines(report: ReplayReport): string[] {
  const verdict = report.verdict;
  if (verdict === undefined) return [];
  const title = { pass: "PASS", fail: "FAIL", invalid: "INVALID" }[verdict.result];
  return [`verdict: ${title}`, ...verdict.reasons.map((reason) => `  - ${reason}`)];
}

/** A table before markup: a header and rows of cell text. */
export interface Grid {
  header: string[];
  rows: string[][];
}

/** Changed calls grouped by one key (the first column's title is the format's). */
export function attributionGrid(title: string, counts: readonly GroupCount[]): Grid {
  return {
    header: [title, "calls", "newly allowed", "newly blocked", "cascades", "sessions"],
    rows: counts
      .slice(0, ATTRIBUTION_ROWS)
      .map((count) => [
        count.key,
        String(count.calls),
        String(count.newlyAllowed),
        String(count.newlyBlocked),
        String(count.cascades),
        String(count.sessions),
      ]),
  };
}

/** One changed cell's sampled examples. */
export function examplesGrid(transition: TransitionCell): Grid {
  return {
    header: ["event", "time", "tool", "agent", "session", "before", "after", "why now"],
    rows: transition.examples.map((example) => [
      example.eventId,
      isoTime(example.at),
      example.tool,
      example.agent,
      example.session,
      example.before.rule,
      `${example.after.rule}${example.cascade ? " (cascade)" : ""}`,
      example.after.reason,
    ]),
  };
}
