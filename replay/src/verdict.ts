/**
 * Whether a change may ship: thresholds on the report's counts (`newly-allowed>0`,
 * `newly-blocked>1%`), and the conditions without which the report means nothing (a self-check
 * that reproduced every recorded decision, enough of the traffic replayed).
 */
import type { ReplayReport } from "./report.js";

export const METRICS = ["newly-allowed", "newly-blocked", "changed", "cascades"] as const;
export type Metric = (typeof METRICS)[number];

export interface Threshold {
  /** As written, for messages. */
  text: string;
  metric: Metric;
  operator: ">" | ">=";
  value: number;
  /** A share of the replayed calls rather than a count. */
  percent: boolean;
}

export interface ThresholdCheck {
  threshold: string;
  /** The measured count, and its share of the calls in percent. */
  count: number;
  percent: number;
  breached: boolean;
}

export interface Verdict {
  /** `invalid` (exit 2): the self-check or coverage failed; `fail` (exit 1): a threshold breached. */
  result: "pass" | "fail" | "invalid";
  reasons: string[];
  checks: ThresholdCheck[];
  minCoverage: number;
  coverage: number;
}

export class ThresholdError extends Error {
  override name = "ThresholdError";
}

const THRESHOLD = /^\s*([a-z-]+)\s*(>=|>)\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/;

export function parseThreshold(text: string): Threshold {
  const match = THRESHOLD.exec(text);
  if (match === null) {
    throw new ThresholdError(
      `--fail-on "${text}" is not a threshold: write METRIC>N or METRIC>N% (METRIC: ${METRICS.join(", ")})`,
    );
  }
  const [, metric, operator, value, percent] = match as unknown as [
    string,
    string,
    ">" | ">=",
    string,
    string,
  ];
  if (!(METRICS as readonly string[]).includes(metric)) {
    throw new ThresholdError(
      `--fail-on "${text}": unknown metric "${metric}" (one of ${METRICS.join(", ")})`,
    );
  }
  return {
    text: text.trim(),
    metric: metric as Metric,
    operator,
    value: Number(value),
    percent: percent === "%",
  };
}

/** The share of calls whose replay the report can vouch for: re-decided, under a known baseline. */
export function coverageOf(report: ReplayReport): number {
  const { calls, notReplayable, unverified } = report.coverage;
  if (calls === 0) return 1;
  const lost = [...notReplayable, ...unverified].reduce((sum, entry) => sum + entry.calls, 0);
  return Math.max(0, (calls - lost) / calls);
}

export function judge(report: ReplayReport, thresholds: readonly Threshold[], minCoverage = 1): Verdict {
  const reasons: string[] = [];
  const { selfCheck } = report;
  if (selfCheck.mismatches > 0) {
    reasons.push(
      `self-check failed: replaying the live policy gave ${selfCheck.mismatches} of ${selfCheck.checked} recorded decisions differently`,
    );
  }
  const coverage = coverageOf(report);
  if (coverage < minCoverage) reasons.push(coverageReason(report, coverage, minCoverage));
  const invalid = reasons.length > 0;
  const checks = thresholds.map((threshold) => check(report, threshold));
  for (const breached of checks.filter((entry) => entry.breached)) {
    reasons.push(
      `threshold ${breached.threshold} breached: ${breached.count} calls (${formatPercent(breached.percent)})`,
    );
  }
  const result = invalid ? "invalid" : checks.some((entry) => entry.breached) ? "fail" : "pass";
  return { result, reasons, checks, minCoverage, coverage };
}

function check(report: ReplayReport, threshold: Threshold): ThresholdCheck {
  const count = countOf(report, threshold.metric);
  const calls = report.summary.calls;
  const percent = calls === 0 ? 0 : (count / calls) * 100;
  const measured = threshold.percent ? percent : count;
  const breached = threshold.operator === ">" ? measured > threshold.value : measured >= threshold.value;
  return { threshold: threshold.text, count, percent, breached };
}

function countOf(report: ReplayReport, metric: Metric): number {
  switch (metric) {
    case "newly-allowed":
      return report.summary.newlyAllowed;
    case "newly-blocked":
      return report.summary.newlyBlocked;
    case "changed":
      return report.summary.changed;
    case "cascades":
      return report.summary.cascades;
  }
}

function coverageReason(report: ReplayReport, coverage: number, minCoverage: number): string {
  const parts = [
    ...report.coverage.unverified.map(
      (entry) =>
        `${entry.calls} calls were decided by policy ${entry.name ?? "(unnamed)"} ${entry.digest}, which was not given (--baseline FILE)`,
    ),
    ...report.coverage.notReplayable.map((entry) => `${entry.calls} calls: ${entry.reason}`),
  ];
  return `coverage ${formatPercent(coverage * 100)} is below the required ${formatPercent(minCoverage * 100)}: ${parts.join("; ")}`;
}

export function formatPercent(percent: number): string {
  return `${percent.toFixed(percent !== 0 && percent < 1 ? 2 : 1)}%`;
}
