/** The report as GitHub-flavoured Markdown, for a pull-request comment. */
import { CATEGORY_LABELS } from "../categories.js";
import type { ReplayReport } from "../report.js";
import type { GroupCount } from "../tally.js";
import { ATTRIBUTION_ROWS, coverageLines, headline, isoTime, matrixRows, provenanceLines } from "./facts.js";

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
    table(matrix.header, matrix.rows),
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
  return [
    `#### ${title}`,
    "",
    table(
      ["", "calls", "newly allowed", "newly blocked", "cascades", "sessions"],
      counts
        .slice(0, ATTRIBUTION_ROWS)
        .map((count) => [
          count.key,
          String(count.calls),
          String(count.newlyAllowed),
          String(count.newlyBlocked),
          String(count.cascades),
          String(count.sessions),
        ]),
    ),
    "",
  ];
}

function examples(report: ReplayReport): string[] {
  return report.transitions.flatMap((transition) => [
    `<details><summary>${CATEGORY_LABELS[transition.before]} → ${CATEGORY_LABELS[transition.after]}: ${transition.calls} calls (${transition.cascades} cascades)</summary>`,
    "",
    table(
      ["event", "time", "tool", "agent", "session", "before", "after", "why now"],
      transition.examples.map((example) => [
        example.eventId,
        isoTime(example.at),
        example.tool,
        example.agent,
        example.session,
        example.before.rule,
        `${example.after.rule}${example.cascade ? " (cascade)" : ""}`,
        example.after.reason,
      ]),
    ),
    "",
    "</details>",
    "",
  ]);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Agents choose tool names and arguments: nothing they wrote may become Markdown or HTML. */
function cell(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#+!|~]/g, (char) => `\\${char}`).replace(/\r?\n/g, " ");
}
