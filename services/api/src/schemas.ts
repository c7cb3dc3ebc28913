/**
 * JSON Schemas of the API's inputs and outputs: fastify validates requests and serialises answers
 * with them, and @fastify/swagger turns them into the OpenAPI document. Inputs refuse unknown
 * parameters, so a misspelt filter is an error rather than a silently wider answer.
 */
import { ERROR_SCHEMA } from "./errors.js";
import { MAX_PATH_KEYS } from "./queries/calls.js";
import { BUCKETS } from "./queries/overview.js";
import { OUTCOMES } from "./queries/where.js";
import { TIME_PATTERN } from "./time.js";

const text = (description: string) =>
  ({ type: "string", minLength: 1, maxLength: 512, description }) as const;
const time = (description: string) =>
  ({ type: "string", pattern: TIME_PATTERN, description: `${description}: epoch ms or ISO 8601` }) as const;
const ms = (description: string) => ({ type: "integer", description: `${description} (epoch ms)` }) as const;
const count = (description: string) => ({ type: "integer", minimum: 0, description }) as const;

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

const limit = (fallback = DEFAULT_LIMIT, max = MAX_LIMIT) =>
  ({ type: "integer", minimum: 1, maximum: max, default: fallback, description: "rows per page" }) as const;
const cursor = { type: "string", maxLength: 2048, description: "nextCursor of the previous page" } as const;

export const CALL_FILTERS = {
  agent: text("agent id"),
  grant: text("grant"),
  session: text("session id"),
  server: text("upstream server id"),
  tool: text("tool name as the upstream knows it"),
  decision: { type: "string", enum: OUTCOMES, description: "the decision's outcome" },
  rule: text("the rule that decided (a JSON path into the policy)"),
  from: time("from this time, inclusive"),
  to: time("until this time, exclusive"),
} as const;

export const querystring = (properties: Record<string, unknown>) => ({
  type: "object",
  additionalProperties: false,
  properties,
});

export const CALLS_QUERY = querystring({ ...CALL_FILTERS, limit: limit(), cursor });
export const SEARCH_QUERY = querystring({
  ...CALL_FILTERS,
  q: {
    type: "string",
    minLength: 1,
    maxLength: 1024,
    description: "text anywhere in the arguments (case-insensitive)",
  },
  path: {
    type: "array",
    minItems: 1,
    maxItems: MAX_PATH_KEYS,
    items: { type: "string", minLength: 1, maxLength: 256 },
    description: "where in the arguments to look: one key per `path` parameter (numbers index arrays from 0)",
  },
  contains: { type: "string", minLength: 1, maxLength: 1024, description: "the value at path contains this" },
  equals: { type: "string", maxLength: 1024, description: "the value at path is exactly this" },
  limit: limit(),
  cursor,
});
export const SESSIONS_QUERY = querystring({
  agent: CALL_FILTERS.agent,
  grant: CALL_FILTERS.grant,
  from: CALL_FILTERS.from,
  to: CALL_FILTERS.to,
  limit: limit(),
  cursor,
});
export const TIMELINE_QUERY = querystring({ limit: limit(500, 5000), cursor });
export const ROLLUP_QUERY = querystring({ ...CALL_FILTERS });
export const APPROVAL_ROLLUP_QUERY = querystring({
  agent: CALL_FILTERS.agent,
  grant: CALL_FILTERS.grant,
  session: CALL_FILTERS.session,
  from: CALL_FILTERS.from,
  to: CALL_FILTERS.to,
});
export const OVERVIEW_QUERY = querystring({
  agent: CALL_FILTERS.agent,
  grant: CALL_FILTERS.grant,
  server: CALL_FILTERS.server,
  tool: CALL_FILTERS.tool,
  from: time("from this time (default: a day before to)"),
  to: time("until this time (default: now)"),
  bucket: { type: "string", enum: BUCKETS, description: "bucket size (default: by the range)" },
});

export const idParams = (description: string, format?: "uuid") => ({
  type: "object",
  required: ["id"],
  properties: {
    id: { type: "string", minLength: 1, maxLength: 512, description, ...(format ? { format } : {}) },
  },
});

const COMPLETION = {
  status: {
    type: "string",
    description:
      "how the call ended: ok, tool_error, error, denied, cancelled, timeout, upstream_unavailable",
  },
  latencyMs: { type: "number" },
} as const;

const CALL = {
  type: "object",
  required: ["eventId", "callId", "time", "agent", "session", "server", "tool", "decision", "rule", "reason"],
  properties: {
    eventId: { type: "string", description: "the call.decided event" },
    callId: { type: "string" },
    time: ms("when it was decided"),
    instance: { type: "string", description: "gateway instance" },
    agent: { type: "string" },
    grant: { type: "string" },
    session: { type: "string" },
    server: { type: "string" },
    tool: { type: "string" },
    decision: { type: "string", enum: OUTCOMES },
    rule: { type: "string" },
    basis: { type: "string" },
    reason: { type: "string" },
    approval: { type: "string", description: "`granted` on the re-decision after a person approved" },
    policyDigest: { type: "string" },
    ...COMPLETION,
  },
} as const;

const ANY = {} as const;

export const CALLS_REPLY = {
  type: "object",
  required: ["calls"],
  properties: { calls: { type: "array", items: CALL }, nextCursor: { type: "string" } },
} as const;

export const SEARCH_REPLY = {
  type: "object",
  required: ["calls"],
  properties: {
    calls: {
      type: "array",
      items: {
        ...CALL,
        properties: {
          ...CALL.properties,
          arguments: { ...ANY, description: "the arguments as recorded (redacted)" },
          redacted: { type: "array", items: { type: "string" }, description: "argument paths redacted" },
        },
      },
    },
    nextCursor: { type: "string" },
  },
} as const;

export const SESSIONS_REPLY = {
  type: "object",
  required: ["sessions"],
  properties: {
    sessions: {
      type: "array",
      items: {
        type: "object",
        required: ["session", "agent", "grant", "firstAt", "lastAt", "calls", "denials", "rateLimited"],
        properties: {
          session: { type: "string" },
          agent: { type: "string" },
          grant: { type: "string" },
          firstAt: ms("its first event"),
          lastAt: ms("its last event"),
          calls: count("distinct calls decided"),
          denials: count("decisions deny"),
          rateLimited: count("decisions rate_limited"),
          approvalsRequested: count("calls held for approval"),
          events: count("events"),
        },
      },
    },
    nextCursor: { type: "string" },
  },
} as const;

const COUNTER = { type: "object", additionalProperties: true } as const;

export const TIMELINE_REPLY = {
  type: "object",
  required: ["session", "events"],
  properties: {
    session: { type: "string" },
    events: {
      type: "array",
      items: {
        type: "object",
        required: ["eventId", "type", "time", "instance", "seq"],
        properties: {
          eventId: { type: "string" },
          type: { type: "string" },
          time: ms("when the gateway made the event"),
          instance: { type: "string" },
          seq: { type: "integer" },
          callId: { type: "string" },
          server: { type: "string" },
          tool: { type: "string" },
          arguments: ANY,
          redacted: { type: "array", items: { type: "string" } },
          decision: { type: "string" },
          rule: { type: "string" },
          basis: { type: "string" },
          reason: { type: "string" },
          counters: { type: "array", items: COUNTER },
          approval: { type: "string" },
          shadow: {
            type: "object",
            properties: { outcome: { type: "string" }, rule: { type: "string" }, reason: { type: "string" } },
          },
          policy: { type: "object", properties: { name: { type: "string" }, digest: { type: "string" } } },
          ...COMPLETION,
          resultBytes: { type: "integer" },
          error: { type: "object", properties: { code: { type: "integer" }, message: { type: "string" } } },
          approvalId: { type: "string" },
          expiresAt: ms("when the approval times out"),
          resolution: { type: "string", description: "approved, denied or timed_out" },
          by: { type: "string", description: "who resolved the approval" },
          note: { type: "string" },
        },
      },
    },
    nextCursor: { type: "string" },
  },
} as const;

const DECISION_COUNTS = {
  calls: count("distinct calls decided"),
  allowed: count("decisions allow"),
  denials: count("decisions deny"),
  rateLimited: count("decisions rate_limited"),
  approvalsRequested: count("decisions approval_required"),
} as const;

const rows = (properties: Record<string, unknown>) =>
  ({
    type: "object",
    required: ["rows"],
    properties: { rows: { type: "array", items: { type: "object", properties } } },
  }) as const;

export const TOOLS_REPLY = rows({ server: { type: "string" }, tool: { type: "string" }, ...DECISION_COUNTS });
export const AGENTS_REPLY = rows({
  agent: { type: "string" },
  grants: { type: "array", items: { type: "string" } },
  sessions: count("sessions"),
  ...DECISION_COUNTS,
});
export const HOURS_REPLY = rows({ hour: ms("the hour's start"), ...DECISION_COUNTS });
export const RATE_LIMITS_REPLY = rows({
  rule: { type: "string", description: "the limit that tripped" },
  counter: { type: "string" },
  scope: { type: "string" },
  max: { type: "integer" },
  windowMs: { type: "integer" },
  hits: count("rate-limited decisions"),
  agents: { type: "array", items: { type: "string" } },
  firstAt: ms("first hit"),
  lastAt: ms("last hit"),
});
export const APPROVAL_ROLLUP_REPLY = {
  type: "object",
  required: ["requested", "resolved"],
  properties: {
    requested: count("approval requests"),
    resolved: {
      type: "array",
      items: {
        type: "object",
        properties: {
          resolution: { type: "string" },
          by: { type: "string", description: "who resolved them (empty for time-outs)" },
          count: count("resolutions"),
          lastAt: ms("the last one"),
        },
      },
    },
  },
} as const;

const POINT = {
  calls: count("distinct calls decided"),
  denials: count("decisions deny"),
  rateLimited: count("decisions rate_limited"),
  approvalsRequested: count("decisions approval_required"),
} as const;

export const OVERVIEW_REPLY = {
  type: "object",
  required: ["from", "to", "bucket", "totals", "series"],
  properties: {
    from: ms("start"),
    to: ms("end"),
    bucket: { type: "string", enum: BUCKETS },
    totals: {
      type: "object",
      properties: { ...POINT, sessions: count("sessions"), agents: count("agents") },
    },
    series: {
      type: "array",
      items: { type: "object", properties: { start: ms("the bucket's start"), ...POINT } },
    },
  },
} as const;

export const EVENT_REPLY = {
  type: "object",
  required: ["event", "json", "chain"],
  properties: {
    event: { type: "object", additionalProperties: true, description: "the event as stored" },
    json: { type: "string", description: "the stored JSON, byte for byte" },
    chain: {
      type: "object",
      properties: {
        instance: { type: "string" },
        seq: { type: "integer" },
        prev: { type: ["string", "null"] },
        hash: { type: "string" },
        previousEventId: { type: ["string", "null"] },
        nextEventId: { type: ["string", "null"] },
        hashVerifies: { type: "boolean" },
        linkVerifies: { type: "boolean" },
        problems: { type: "array", items: { type: "string" } },
      },
    },
  },
} as const;

export const PENDING_REPLY = {
  type: "object",
  required: ["approvals"],
  properties: {
    approvals: {
      type: "array",
      items: {
        type: "object",
        properties: {
          id: { type: "string" },
          callId: { type: "string" },
          server: { type: "string" },
          tool: { type: "string" },
          arguments: ANY,
          identity: { type: "object", additionalProperties: true },
          rule: { type: "string" },
          reason: { type: "string" },
          requestedAt: ms("held since"),
          expiresAt: ms("times out at"),
        },
      },
    },
  },
} as const;

export const VERDICT_BODY = {
  type: ["object", "null"],
  additionalProperties: false,
  properties: { note: { type: "string", maxLength: 2000, description: "recorded with the decision" } },
} as const;

export const VERDICT_REPLY = {
  type: "object",
  properties: {
    id: { type: "string" },
    resolution: { type: "string" },
    by: { type: "string", description: "who the gateway recorded as resolving it" },
  },
} as const;

export const SQL_BODY = {
  type: "object",
  required: ["sql"],
  additionalProperties: false,
  properties: {
    sql: {
      type: "string",
      minLength: 1,
      maxLength: 100_000,
      description: "one SELECT, WITH, SHOW, DESCRIBE or EXPLAIN",
    },
    limit: { type: "integer", minimum: 1, maximum: 10_000, default: 1000, description: "rows at most" },
  },
} as const;

export const SQL_REPLY = {
  type: "object",
  required: ["kind", "statement", "columns", "rows", "truncated"],
  properties: {
    kind: { type: "string", enum: ["select", "show", "describe", "explain"] },
    statement: { type: "string", description: "the statement as ClickHouse formats it, as it ran" },
    columns: {
      type: "array",
      items: { type: "object", properties: { name: { type: "string" }, type: { type: "string" } } },
    },
    rows: { type: "array", items: { type: "array", items: ANY } },
    truncated: { type: "boolean", description: "more rows than limit were available" },
  },
} as const;

export const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ERROR_SCHEMA]));
