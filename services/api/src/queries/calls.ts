/**
 * Calls: one row per decision (`call.decided`), newest first, with the call's completion when it is
 * stored. A call held for approval has two decisions: `approval_required`, then the re-decision
 * after a person approved it (`approval: "granted"`). Search narrows the same list by the
 * arguments (redacted, as the gateway recorded them).
 */
import type { CompletionStatus, Outcome, Store } from "@tollgate/store";
import { decodeCursor, pageOf } from "../cursor.js";
import { badInput } from "../errors.js";
import { type CallFilter, num, Where } from "./where.js";

export interface Page {
  limit: number;
  cursor?: string;
}

export interface CallRow {
  /** The call.decided event's id. */
  eventId: string;
  callId: string;
  time: number;
  instance: string;
  agent: string;
  grant: string;
  session: string;
  server: string;
  tool: string;
  decision: Outcome;
  rule: string;
  basis: string;
  reason: string;
  /** `granted` on the re-decision after a person approved the call. */
  approval?: string;
  policyDigest: string;
  /** How the call ended, once its call.completed is stored. */
  status?: CompletionStatus;
  latencyMs?: number;
}

export interface FoundCall extends CallRow {
  arguments: unknown;
  /** Argument paths the gateway redacted before recording. */
  redacted: string[];
}

export interface CallPage<T = CallRow> {
  calls: T[];
  nextCursor?: string;
}

/** What to look for in the arguments. */
export interface ArgumentSearch {
  /** Anywhere in the arguments' JSON text, case-insensitive. */
  text?: string;
  /** A path into the arguments: object keys, or array positions counted from 0. */
  path?: string[];
  /** The value at `path` (its JSON text) contains this, case-insensitive. */
  contains?: string;
  /** The value at `path` is exactly this (a string's value, or another value's JSON text). */
  equals?: string;
}

export const MAX_PATH_KEYS = 16;

export async function listCalls(store: Store, filter: CallFilter, page: Page): Promise<CallPage> {
  return pagedCalls<CallRow>(store, new Where().filter(filter), page, false);
}

export async function searchCalls(
  store: Store,
  filter: CallFilter,
  search: ArgumentSearch,
  page: Page,
): Promise<CallPage<FoundCall>> {
  const where = new Where().filter(filter);
  argumentConditions(where, search);
  return pagedCalls<FoundCall>(store, where, page, true);
}

function argumentConditions(where: Where, search: ArgumentSearch): void {
  const { text, path, contains, equals } = search;
  if (path === undefined && (contains !== undefined || equals !== undefined))
    throw badInput("path", "contains and equals need a path: the argument to look at, e.g. path=command");
  if (text === undefined && path === undefined)
    throw badInput("q", "give q (text to find in the arguments) or path (where in the arguments to look)");
  if (contains !== undefined && equals !== undefined)
    throw badInput("equals", "give contains or equals, not both");
  if (text !== undefined)
    where.bound("positionCaseInsensitiveUTF8(arguments, {a_text:String}) > 0", { a_text: text });
  if (path === undefined) return;
  if (path.length === 0 || path.length > MAX_PATH_KEYS)
    throw badInput("path", `path must have 1 to ${MAX_PATH_KEYS} keys`);
  // Each key is its own bound parameter: a string is an object key, a number a (1-based) position.
  const keys: string[] = [];
  path.forEach((key, i) => {
    const name = `a_k${i}`;
    if (/^\d{1,9}$/.test(key)) {
      keys.push(`{${name}:Int64}`);
      where.params[name] = Number(key) + 1;
    } else {
      keys.push(`{${name}:String}`);
      where.params[name] = key;
    }
  });
  const at = keys.join(", ");
  where.fixed(`JSONHas(arguments, ${at})`);
  if (contains !== undefined)
    where.bound(`positionCaseInsensitiveUTF8(JSONExtractRaw(arguments, ${at}), {a_contains:String}) > 0`, {
      a_contains: contains,
    });
  if (equals !== undefined)
    where.bound(
      `(JSONExtractString(arguments, ${at}) = {a_equals:String} OR JSONExtractRaw(arguments, ${at}) = {a_equals:String})`,
      { a_equals: equals },
    );
}

interface Row {
  event_id: string;
  call_id: string;
  time_ms: string | number;
  instance: string;
  agent: string;
  grant: string;
  session_id: string;
  server: string;
  tool: string;
  outcome: Outcome;
  rule: string;
  basis: string;
  reason: string;
  approval: string;
  policy_digest: string;
  status: string;
  latency_ms: number | null;
  arguments?: string;
  redacted?: string[];
}

async function pagedCalls<T extends CallRow>(
  store: Store,
  where: Where,
  page: Page,
  withArguments: boolean,
): Promise<CallPage<T>> {
  where.fixed("type = 'call.decided'");
  const after = decodeCursor("calls", page.cursor, ["number", "uuid"]);
  if (after !== undefined) {
    where.bound(
      "(time, event_id) < (fromUnixTimestamp64Milli({c_time:Int64}, 'UTC'), toUUID({c_id:String}))",
      {
        c_time: after[0],
        c_id: after[1],
      },
    );
  }
  const extra = withArguments ? ", arguments, redacted" : "";
  // The completion has no agent or tool of its own: it is found by the decided call's id.
  const rows = await store.select<Row>(
    `WITH decided AS (
       SELECT event_id, call_id, time, gateway_instance, agent, grant, session_id, server, tool, outcome,
              rule, basis, reason, approval, policy_digest${extra}
       FROM events FINAL ${where.sql}
       ORDER BY time DESC, event_id DESC LIMIT {limit:UInt32}
     )
     SELECT toString(d.event_id) AS event_id, d.call_id AS call_id, toUnixTimestamp64Milli(d.time) AS time_ms,
            d.gateway_instance AS instance, d.agent AS agent, d.grant AS grant, d.session_id AS session_id,
            d.server AS server, d.tool AS tool, d.outcome AS outcome, d.rule AS rule, d.basis AS basis,
            d.reason AS reason, d.approval AS approval, d.policy_digest AS policy_digest,
            c.status AS status, c.latency_ms AS latency_ms${withArguments ? ", d.arguments AS arguments, d.redacted AS redacted" : ""}
     FROM decided AS d
     LEFT JOIN (
       SELECT call_id, any(status) AS status, any(latency_ms) AS latency_ms
       FROM events FINAL
       WHERE type = 'call.completed' AND call_id IN (SELECT call_id FROM decided)
       GROUP BY call_id
     ) AS c ON c.call_id = d.call_id
     ORDER BY d.time DESC, d.event_id DESC`,
    { ...where.params, limit: page.limit + 1 },
  );
  const { page: calls, nextCursor } = pageOf(
    rows,
    page.limit,
    (row) => [num(row.time_ms), row.event_id],
    "calls",
  );
  return {
    calls: calls.map((row) => callOf(row, withArguments) as T),
    ...(nextCursor === undefined ? {} : { nextCursor }),
  };
}

function callOf(row: Row, withArguments: boolean): CallRow | FoundCall {
  const call: CallRow = {
    eventId: row.event_id,
    callId: row.call_id,
    time: num(row.time_ms),
    instance: row.instance,
    agent: row.agent,
    grant: row.grant,
    session: row.session_id,
    server: row.server,
    tool: row.tool,
    decision: row.outcome,
    rule: row.rule,
    basis: row.basis,
    reason: row.reason,
    policyDigest: row.policy_digest,
  };
  if (row.approval !== "") call.approval = row.approval;
  // '' and NULL are the LEFT JOIN's defaults for a call whose completion is not stored (yet).
  if (row.status !== "" && row.status !== null) call.status = row.status as CompletionStatus;
  if (row.latency_ms !== null && row.latency_ms !== undefined) call.latencyMs = row.latency_ms;
  if (!withArguments) return call;
  return { ...call, arguments: parseArguments(row.arguments ?? ""), redacted: row.redacted ?? [] };
}

function parseArguments(text: string): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
