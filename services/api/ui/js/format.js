/** How values read on screen: times in the viewer's zone, counts with separators, outcomes as words. */

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Epoch ms (or an ISO string) → "2025-06-03 14:05:09". */
export function time(value) {
  const date = toDate(value);
  if (date === undefined) return "—";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** "14:05:09.123": for events of one session, where the day is in the header. */
export function clock(value) {
  const date = toDate(value);
  if (date === undefined) return "—";
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function toDate(value) {
  if (value === undefined || value === null || value === "") return undefined;
  const date = new Date(typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function count(value) {
  return typeof value === "number"
    ? value.toLocaleString("en-US")
    : value === undefined
      ? "—"
      : String(value);
}

export function duration(ms) {
  if (typeof ms !== "number" || !Number.isFinite(ms)) return "—";
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${ms % 1_000 === 0 ? ms / 1_000 : (ms / 1_000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${ms % 3_600_000 === 0 ? ms / 3_600_000 : (ms / 3_600_000).toFixed(1)} h`;
  return `${ms % 86_400_000 === 0 ? ms / 86_400_000 : (ms / 86_400_000).toFixed(1)} d`;
}

export const OUTCOME_LABEL = {
  allow: "allowed",
  deny: "denied",
  rate_limited: "rate-limited",
  approval_required: "held for approval",
};

export function outcome(value) {
  return OUTCOME_LABEL[value] ?? String(value ?? "—");
}

/** "k8s_pod_exec_rate 10/10 per 1 min (grant ops)": a counter as the decision found it. */
export function counter(use) {
  const scope = use.scope === "global" ? "global" : `${use.scope} ${use.subject}`;
  return `${use.counter} ${use.used}/${use.max} per ${duration(use.windowMs)} (${scope})`;
}

/** The first characters of an id, enough to tell ids apart on screen. */
export function shortId(id) {
  const text = String(id ?? "");
  return text.length > 13 ? `${text.slice(0, 8)}…${text.slice(-4)}` : text;
}
