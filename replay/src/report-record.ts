/** A report as the store keeps it: the columns a list shows, and the whole report as JSON. */
import type { ReplayReportRecord } from "@tollgate/store";
import type { ReplayReport } from "./report.js";

export function reportRecord(report: ReplayReport): ReplayReportRecord {
  return {
    id: report.id,
    createdAt: report.createdAt,
    candidateName: report.provenance.candidate.name,
    candidateDigest: report.provenance.candidate.digest,
    from: report.provenance.window.from,
    to: report.provenance.window.to,
    verdict: report.verdict?.result ?? "",
    calls: report.summary.calls,
    changed: report.summary.changed,
    json: JSON.stringify(report),
  };
}
