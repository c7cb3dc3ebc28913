/** The report's formats: each a pure function of the report. */
import type { ReplayReport } from "../report.js";
import { renderHtml } from "./html.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderTerminal } from "./terminal.js";

export const FORMATS = ["table", "json", "markdown", "junit", "html"] as const;
export type ReportFormat = (typeof FORMATS)[number];

export function renderReport(report: ReplayReport, format: ReportFormat): string {
  switch (format) {
    case "table":
      return renderTerminal(report);
    case "json":
      return `${JSON.stringify(report, null, 2)}\n`;
    case "markdown":
      return renderMarkdown(report);
    case "junit":
      return renderJunit(report);
    case "html":
      return renderHtml(report);
  }
}
