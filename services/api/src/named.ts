/**
 * The named queries `tollgate query NAME` runs: each is a GET on the API with the same parameters,
 * so the command line and the API answer alike, through the same validation, whether the command
 * talks to a running API or opens the store itself.
 */
export const QUERY_NAMES = [
  "sessions",
  "timeline",
  "calls",
  "search",
  "rollup-tools",
  "rollup-agents",
  "rollup-hours",
  "rate-limits",
  "approvals",
  "event",
  "overview",
] as const;

export type QueryName = (typeof QUERY_NAMES)[number];

const PATHS: Record<QueryName, (id: string) => string> = {
  sessions: () => "/sessions",
  timeline: (id) => `/sessions/${encodeURIComponent(id)}/timeline`,
  calls: () => "/calls",
  search: () => "/search",
  "rollup-tools": () => "/rollups/tools",
  "rollup-agents": () => "/rollups/agents",
  "rollup-hours": () => "/rollups/hours",
  "rate-limits": () => "/rollups/rate-limits",
  approvals: () => "/rollups/approvals",
  event: (id) => `/events/${encodeURIComponent(id)}`,
  overview: () => "/overview",
};

/** Queries about one thing, named by an id: a session's timeline, an event. */
export const NEEDS_ID: ReadonlySet<QueryName> = new Set(["timeline", "event"]);

export type QueryParams = Record<string, string | number | readonly string[] | undefined>;

export function isQueryName(name: string): name is QueryName {
  return (QUERY_NAMES as readonly string[]).includes(name);
}

/** The API path (under /api/v1) and query string of a named query. */
export function namedQueryPath(name: QueryName, params: QueryParams, id?: string): string {
  if (NEEDS_ID.has(name) && (id === undefined || id === ""))
    throw new Error(`${name} needs the ${name === "event" ? "event" : "session"} id`);
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) search.append(key, String(one));
  }
  const query = search.toString();
  return `${PATHS[name](id ?? "")}${query === "" ? "" : `?${query}`}`;
}
