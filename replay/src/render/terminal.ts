/** The report as terminal text: what `tollgate replay` prints by default. */
import { CATEGORY_LABELS } from "../categories.js";
import type { ReplayReport } from "../report.js";
import type { GroupCount } from "../tally.js";
import {
  attributionGrid,
  coverageLines,
  headline,
  isoTime,
  matrixRows,
  provenanceLines,
  verdictLines,
} from "./facts.js";
import { textTable } from "./table.js";

export function renderTerminal(report: ReplayReport): string {
  const matrix = matrixRows(report);
  const sections = [
    `tollgate replay — ${headline(report)}`,
    provenanceLines(report)
      .map(([key, value]) => `  ${key}: ${value}`)
      .join("\n"),
    coverageLines(report).join("\n"),
    textTable(matrix.header, matrix.rows),
    ...report.selfCheck.examples.map(
      (example) =>
        `mismatch: ${example.eventId} ${example.tool} by ${example.agent} at ${isoTime(example.at)}: recorded ${example.recorded.outcome} (${example.recorded.rule}), replayed ${example.replayed.outcome} (${example.replayed.rule}: ${example.replayed.reason})`,
    ),
    ...attributionTables(report),
    ...report.transitions.map(
      (cell) =>
        `${CATEGORY_LABELS[cell.before]} → ${CATEGORY_LABELS[cell.after]}: ${cell.calls} calls (${cell.cascades} cascades)\n${cell.examples
          .map(
            (example) =>
              `  ${example.eventId} ${isoTime(example.at)} ${example.tool} agent=${example.agent} session=${example.session}: ${example.before.rule} → ${example.after.rule}${example.cascade ? " [cascade]" : ""}\n    ${example.after.reason}`,
          )
          .join("\n")}`,
    ),
    verdictLines(report).join("\n"),
  ];
  return `${sections.filter((section) => section !== "").join("\n\n")}\n`;
}

function attributionTables(report: ReplayReport): string[] {
  const { attribution } = report;
  const groups: [string, GroupCount[]][] = [
    ["rule (before → after)", attribution.rules],
    ["tool", attribution.tools],
    ["agent", attribution.agents],
    ["grant", attribution.grants],
  ];
  return groups
    .filter(([, counts]) => counts.length > 0)
    .map(([title, counts]) => {
      const grid = attributionGrid(title, counts);
      return textTable(grid.header, grid.rows);
    });
}
