/** The report as GitHub-flavoured Markdown, for a pull-request comment. */
import { CATEGORY_LABELS } from "../categories.js";
import type { ReplayReport } from "../report.js";
import type { GroupCount } from "../tally.js";
import {
  attributionGrid,
  coverageLines,
  examplesGrid,
  type Grid,
  headline,
  matrixRows,
  provenanceLines,
} from "./facts.js";

export function renderMarkdown(report: ReplayReport): string {
  const matrix = matrixRows(report);
  const verdict = report.verdict;
  const title =
    verdict === undefined
      ? ""
      : ` — ${{ pass: "✅ pass", fail: "❌ fail", invalid: "⚠️ invalid" }[verdict.result]}`;
  const lines = [
    `### tollgate replay: ${cell(report.provenance.candidate.name)}${title}`,
    "",
    `**${headline(report)}**`,
    "",
    ...(verdict?.reasons.map((reason) => `- ${cell(reason)}`) ?? []),
    "",
    gridTable(matrix),
    "",
    ...coverageLines(report).map((line) => `- ${cell(line)}`),
    "",
    ...attribution("Changed calls by rule (before → after)", report.attribution.rules),
    ...attribution("By tool", report.attribution.tools),
    ...attribution("By agent", report.attribution.agents),
    ...attribution("By grant", report.attribution.grants),
    ...examples(report),
    "<details><summary>Provenance</summary>",
    "",
    ...provenanceLines(report).map(([key, value]) => `- ${key}: \`${value.replaceAll("`", "'")}\``),
    "",
    "</details>",
    "",
  ];
  return lines.join("\n");
}

function attribution(title: string, counts: GroupCount[]): string[] {
  if (counts.length === 0) return [];
  return [`#### ${title}`, "", gridTable(attributionGrid("", counts)), ""];
}

function examples(report: ReplayReport): string[] {
  return report.transitions.flatMap((transition) => [
    `<details><summary>${CATEGORY_LABELS[transition.before]} → ${CATEGORY_LABELS[transition.after]}: ${transition.calls} calls (${transition.cascades} cascades)</summary>`,
    "",
    gridTable(examplesGrid(transition)),
    "",
    "</details>",
    "",
  ]);
}

function gridTable({ header, rows }: Grid): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Agents choose tool names and arguments: nothing they wrote may become Markdown or HTML. */
function cell(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (char) => `\\${char}`).replace(/\r?\n/g, " ");
}
