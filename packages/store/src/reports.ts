/** Replay reports kept in the store (migration 4), so the API and UI can list and open them. */
import type { ClickHouseClient } from "@clickhouse/client";
import { INSERT_SETTINGS } from "./settings.js";

export interface ReplayReportSummary {
  id: string;
  /** Epoch ms. */
  createdAt: number;
  candidateName: string;
  candidateDigest: string;
  /** The replayed window, epoch ms. */
  from: number;
  to: number;
  /** `pass`, `fail` (a threshold breached) or `invalid` (self-check or coverage failed). */
  verdict: string;
  calls: number;
  changed: number;
}

export interface ReplayReportRecord extends ReplayReportSummary {
  /** The report as `tollgate replay --format json` prints it. */
  json: string;
}

interface ReportRow {
  id: string;
  created_at: number | string;
  candidate_name: string;
  candidate_digest: string;
  window_from: number | string;
  window_to: number | string;
  verdict: string;
  calls: number | string;
  changed: number | string;
}

const SUMMARY_COLUMNS = `id, toUnixTimestamp64Milli(created_at) AS created_at, candidate_name, candidate_digest,
  toUnixTimestamp64Milli(window_from) AS window_from, toUnixTimestamp64Milli(window_to) AS window_to,
  verdict, calls, changed`;

export async function saveReplayReport(client: ClickHouseClient, report: ReplayReportRecord): Promise<void> {
  await client.insert({
    table: "replay_reports",
    format: "JSONEachRow",
    values: [
      {
        id: report.id,
        created_at: report.createdAt,
        candidate_name: report.candidateName,
        candidate_digest: report.candidateDigest,
        window_from: report.from,
        window_to: report.to,
        verdict: report.verdict,
        calls: report.calls,
        changed: report.changed,
        report_json: report.json,
      },
    ],
    clickhouse_settings: INSERT_SETTINGS,
  });
}

export async function replayReports(client: ClickHouseClient, limit: number): Promise<ReplayReportSummary[]> {
  const result = await client.query({
    query: `SELECT ${SUMMARY_COLUMNS} FROM replay_reports FINAL ORDER BY created_at DESC, id LIMIT {limit:UInt32}`,
    query_params: { limit },
    format: "JSONEachRow",
  });
  return (await result.json<ReportRow>()).map(summaryOf);
}

export async function replayReport(
  client: ClickHouseClient,
  id: string,
): Promise<ReplayReportRecord | undefined> {
  const result = await client.query({
    query: `SELECT ${SUMMARY_COLUMNS}, report_json FROM replay_reports FINAL WHERE id = {id:String}`,
    query_params: { id },
    format: "JSONEachRow",
  });
  const [row] = await result.json<ReportRow & { report_json: string }>();
  return row === undefined ? undefined : { ...summaryOf(row), json: row.report_json };
}

function summaryOf(row: ReportRow): ReplayReportSummary {
  return {
    id: row.id,
    createdAt: Number(row.created_at),
    candidateName: row.candidate_name,
    candidateDigest: row.candidate_digest,
    from: Number(row.window_from),
    to: Number(row.window_to),
    verdict: row.verdict,
    calls: Number(row.calls),
    changed: Number(row.changed),
  };
}
