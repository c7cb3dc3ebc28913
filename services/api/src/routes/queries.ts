/** The read-only query routes: sessions, timelines, calls, search, rollups, overview, events. */
import type { FastifyInstance } from "fastify";
import type { ApiOptions } from "../options.js";
import { listCalls, searchCalls } from "../queries/calls.js";
import { eventDetail } from "../queries/event.js";
import { type Bucket, overview } from "../queries/overview.js";
import {
  rollupAgents,
  rollupApprovals,
  rollupHours,
  rollupRateLimits,
  rollupTools,
} from "../queries/rollups.js";
import { listSessions } from "../queries/sessions.js";
import { sessionTimeline } from "../queries/timeline.js";
import type { CallFilter } from "../queries/where.js";
import {
  AGENTS_REPLY,
  APPROVAL_ROLLUP_QUERY,
  APPROVAL_ROLLUP_REPLY,
  CALLS_QUERY,
  CALLS_REPLY,
  EVENT_REPLY,
  errors,
  HOURS_REPLY,
  idParams,
  OVERVIEW_QUERY,
  OVERVIEW_REPLY,
  RATE_LIMITS_REPLY,
  ROLLUP_QUERY,
  SEARCH_QUERY,
  SEARCH_REPLY,
  SESSIONS_QUERY,
  SESSIONS_REPLY,
  TIMELINE_QUERY,
  TIMELINE_REPLY,
  TOOLS_REPLY,
} from "../schemas.js";
import { parseRange } from "../time.js";

/** Filters as they arrive in a query string: the times still as text. */
export type FilterQuery = Omit<CallFilter, "from" | "to"> & { from?: string; to?: string };

interface PageQuery {
  limit: number;
  cursor?: string;
}

export function callFilterOf(query: FilterQuery): CallFilter {
  const { from: _from, to: _to, ...equalities } = query;
  return { ...equalities, ...parseRange(query) };
}

function pageOf(query: PageQuery) {
  return { limit: query.limit, ...(query.cursor === undefined ? {} : { cursor: query.cursor }) };
}

const read = (summary: string, tags: string[], schema: Record<string, unknown>) => ({
  schema: {
    summary,
    tags,
    ...schema,
    response: { ...(schema.response as object), ...errors(400, 401, 403) },
  },
});

export async function queryRoutes(api: FastifyInstance, options: ApiOptions): Promise<void> {
  const { store } = options;

  api.get<{ Querystring: FilterQuery & PageQuery }>(
    "/sessions",
    read("Sessions, most recently active first", ["sessions"], {
      querystring: SESSIONS_QUERY,
      response: { 200: SESSIONS_REPLY },
    }),
    async (request) => listSessions(store, callFilterOf(request.query), pageOf(request.query)),
  );

  api.get<{ Params: { id: string }; Querystring: PageQuery }>(
    "/sessions/:id/timeline",
    read("Every event of one session, in order", ["sessions"], {
      params: idParams("session id"),
      querystring: TIMELINE_QUERY,
      response: { 200: TIMELINE_REPLY, ...errors(404) },
    }),
    async (request) => sessionTimeline(store, request.params.id, pageOf(request.query)),
  );

  api.get<{ Querystring: FilterQuery & PageQuery }>(
    "/calls",
    read("Calls (one row per decision), newest first", ["calls"], {
      querystring: CALLS_QUERY,
      response: { 200: CALLS_REPLY },
    }),
    async (request) => listCalls(store, callFilterOf(request.query), pageOf(request.query)),
  );

  api.get<{
    Querystring: FilterQuery &
      PageQuery & { q?: string; path?: string[]; contains?: string; equals?: string };
  }>(
    "/search",
    read("Calls whose arguments contain text, or hold a value at a JSON path", ["calls"], {
      querystring: SEARCH_QUERY,
      response: { 200: SEARCH_REPLY },
    }),
    async (request) => {
      const { q, path, contains, equals, limit, cursor, ...filters } = request.query;
      return searchCalls(
        store,
        callFilterOf(filters),
        { text: q, path, contains, equals },
        pageOf({ limit, cursor }),
      );
    },
  );

  api.get<{ Querystring: FilterQuery }>(
    "/rollups/tools",
    read("Calls and refusals per tool", ["rollups"], {
      querystring: ROLLUP_QUERY,
      response: { 200: TOOLS_REPLY },
    }),
    async (request) => ({ rows: await rollupTools(store, callFilterOf(request.query)) }),
  );
  api.get<{ Querystring: FilterQuery }>(
    "/rollups/agents",
    read("Calls and refusals per agent", ["rollups"], {
      querystring: ROLLUP_QUERY,
      response: { 200: AGENTS_REPLY },
    }),
    async (request) => ({ rows: await rollupAgents(store, callFilterOf(request.query)) }),
  );
  api.get<{ Querystring: FilterQuery }>(
    "/rollups/hours",
    read("Calls and refusals per hour", ["rollups"], {
      querystring: ROLLUP_QUERY,
      response: { 200: HOURS_REPLY },
    }),
    async (request) => ({ rows: await rollupHours(store, callFilterOf(request.query)) }),
  );
  api.get<{ Querystring: FilterQuery }>(
    "/rollups/rate-limits",
    read("Rate-limit hits per limit and counter", ["rollups"], {
      querystring: ROLLUP_QUERY,
      response: { 200: RATE_LIMITS_REPLY },
    }),
    async (request) => ({ rows: await rollupRateLimits(store, callFilterOf(request.query)) }),
  );
  api.get<{ Querystring: FilterQuery }>(
    "/rollups/approvals",
    read("Approval requests, and who resolved them how", ["rollups"], {
      querystring: APPROVAL_ROLLUP_QUERY,
      response: { 200: APPROVAL_ROLLUP_REPLY },
    }),
    async (request) => rollupApprovals(store, callFilterOf(request.query)),
  );

  api.get<{ Querystring: FilterQuery & { bucket?: Bucket } }>(
    "/overview",
    read("Calls, denials and rate-limit hits over time", ["overview"], {
      querystring: OVERVIEW_QUERY,
      response: { 200: OVERVIEW_REPLY },
    }),
    async (request) => {
      const { bucket, from, to, ...filters } = request.query;
      return overview(store, filters, {
        ...parseRange({ from, to }),
        ...(bucket === undefined ? {} : { bucket }),
      });
    },
  );

  api.get<{ Params: { id: string } }>(
    "/events/:id",
    read("One event as stored, with its position in its hash chain", ["events"], {
      params: idParams("event id (a UUID)", "uuid"),
      response: { 200: EVENT_REPLY, ...errors(404) },
    }),
    async (request) => eventDetail(store, request.params.id),
  );
}
