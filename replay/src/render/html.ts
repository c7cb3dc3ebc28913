/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no network. Every value
 * is escaped: tool names, agents and reasons come from agents and policy authors.
 */
import { CATEGORIES, CATEGORY_LABELS } from "../categories.js";
import type { ReplayReport } from "../report.js";
import type { GroupCount } from "../tally.js";
import type { Timeline } from "../timeline.js";
import {
  attributionGrid,
  coverageLines,
  examplesGrid,
  type Grid,
  headline,
  isoTime,
  matrixRows,
  provenanceLines,
  verdictLines,
} from "./facts.js";

const COLORS = ["#2e7d32", "#81c784", "#c62828", "#ef9a9a", "#ef6c00", "#5c6bc0"];

export function renderHtml(report: ReplayReport): string {
  const matrix = matrixRows(report);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>tollgate replay: ${escapeHtml(report.provenance.candidate.name)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:72rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
td:first-child,th:first-child{text-align:left}.verdict{font-weight:bold;font-size:1.2rem}
.pass{color:#2e7d32}.fail{color:#c62828}.invalid{color:#ef6c00}code{font-size:12px}
.legend span{display:inline-block;margin-right:1rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem}
</style></head><body>
<h1>tollgate replay: ${escapeHtml(report.provenance.candidate.name)}</h1>
<p data-testid="replay-headline"><strong>${escapeHtml(headline(report))}</strong></p>
${verdictBlock(report)}
<h2>Before × after</h2>
${gridTable(matrix)}
<h2>Decisions over time</h2>
${legend()}
<h3>Recorded</h3>${chart(report.timeline, "before")}
<h3>With the candidate</h3>${chart(report.timeline, "after")}
<h2>Coverage and self-check</h2>
<ul>${coverageLines(report)
    .map((line) => `<li>${escapeHtml(line)}</li>`)
    .join("")}</ul>
${attribution("Changed calls by rule (before → after)", report.attribution.rules)}
${attribution("By tool", report.attribution.tools)}
${attribution("By agent", report.attribution.agents)}
${attribution("By grant", report.attribution.grants)}
${examples(report)}
<h2>Provenance</h2>
<ul>${provenanceLines(report)
    .map(([key, value]) => `<li>${escapeHtml(key)}: <code>${escapeHtml(value)}</code></li>`)
    .join("")}</ul>
</body></html>
`;
}

function verdictBlock(report: ReplayReport): string {
  const lines = verdictLines(report);
  if (report.verdict === undefined || lines.length === 0) return "";
  const [first, ...reasons] = lines;
  return `<p class="verdict ${report.verdict.result}">${escapeHtml(first ?? "")}</p><ul>${reasons.map((reason) => `<li>${escapeHtml(reason.replace(/^\s*- /, ""))}</li>`).join("")}</ul>`;
}

function legend(): string {
  return `<p class="legend">${CATEGORIES.map((category, index) => `<span><i style="background:${COLORS[index]}"></i>${escapeHtml(CATEGORY_LABELS[category])}</span>`).join("")}</p>`;
}

/** Stacked bars per bucket; both charts share the scale of the busier one so they compare. */
function chart(timeline: Timeline, side: "before" | "after"): string {
  const width = 960;
  const height = 160;
  const buckets = timeline.buckets;
  const most = Math.max(1, ...buckets.map((bucket) => Math.max(sum(bucket.before), sum(bucket.after))));
  const barWidth = width / Math.max(1, buckets.length);
  const bars = buckets.flatMap((bucket, index) => {
    let y = height;
    return bucket[side].flatMap((count, category) => {
      if (count === 0) return [];
      const barHeight = (count / most) * (height - 10);
      y -= barHeight;
      return [
        `<rect x="${(index * barWidth).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${COLORS[category]}"><title>${escapeHtml(`${isoTime(bucket.t)} ${CATEGORY_LABELS[CATEGORIES[category] ?? "allow"]}: ${count}`)}</title></rect>`,
      ];
    });
  });
  return `<svg role="img" aria-label="${side === "before" ? "recorded" : "candidate"} decisions over time" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars.join("")}</svg>`;
}

function attribution(title: string, counts: GroupCount[]): string {
  if (counts.length === 0) return "";
  return `<h2>${escapeHtml(title)}</h2>${gridTable(attributionGrid("", counts))}`;
}

function examples(report: ReplayReport): string {
  return report.transitions
    .map(
      (transition) =>
        `<h2>${escapeHtml(`${CATEGORY_LABELS[transition.before]} → ${CATEGORY_LABELS[transition.after]}: ${transition.calls} calls (${transition.cascades} cascades)`)}</h2>${gridTable(examplesGrid(transition))}`,
    )
    .join("\n");
}

function gridTable({ header, rows }: Grid): string {
  const head = `<tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("")}</tr>`;
  const body = rows
    .map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("");
  return `<table>${head}${body}</table>`;
}

function sum(counts: readonly number[]): number {
  return counts.reduce((total, count) => total + count, 0);
}

function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
