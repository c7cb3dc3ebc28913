/** Times in and out of the API: epoch milliseconds, or ISO 8601 on the way in. */
import { badInput } from "./errors.js";

/** What `from`/`to` accept: epoch milliseconds or an ISO 8601 date-time. */
export const TIME_PATTERN = "^(\\d{1,15}|\\d{4}-\\d{2}-\\d{2}([T ][0-9:.]+)?(Z|[+-]\\d{2}:?\\d{2})?)$";

export function parseTime(field: string, value: string | number | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value === "number" || /^\d+$/.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return ms;
  } else {
    const ms = Date.parse(value);
    if (Number.isFinite(ms) && realDate(value)) return ms;
  }
  throw badInput(field, `${field} must be epoch milliseconds or an ISO 8601 time, not "${value}"`);
}

export interface TimeRange {
  from?: number;
  to?: number;
}

export function parseRange(query: { from?: string; to?: string }): TimeRange {
  const from = parseTime("from", query.from);
  const to = parseTime("to", query.to);
  if (from !== undefined && to !== undefined && from >= to)
    throw badInput(
      "to",
      `to (${new Date(to).toISOString()}) must be after from (${new Date(from).toISOString()})`,
    );
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** Date.parse rolls 2026-02-30 over to March; an investigator who typed it meant something else. */
function realDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split("-").map(Number) as [number, number, number];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days;
}
