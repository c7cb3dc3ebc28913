/**
 * A session's timeline: every event of the session in order, each flattened to what an
 * investigator reads — the call and its decision (rule, reason, counters), how it completed, and
 * who was asked to approve it and what they said.
 *
 * "In order" is chain order: a session lives on one gateway instance, whose hash chain numbers its
 * events in the order they happened (`seq`); timestamps can tie, or step back with the clock.
 */
import type { TollgateEvent } from "@tollgate/events";
import type { Store } from "@tollgate/store";
import { decodeCursor, pageOf } from "../cursor.js";
import { notFound } from "../errors.js";
import type { Page } from "./calls.js";
import { num } from "./where.js";

export interface TimelineEntry {
  eventId: string;
  type: TollgateEvent["type"];
  time: number;
  instance: string;
  seq: number;
  callId?: string;
  // call.decided
  server?: string;
  tool?: string;
  arguments?: unknown;
  redacted?: string[];
  decision?: string;
  rule?: string;
  basis?: string;
  reason?: string;
  counters?: unknown[];
  approval?: string;
  shadow?: { outcome: string; rule: string; reason: string };
  policy?: { name: string; digest: string };
  // call.completed
  status?: string;
  latencyMs?: number;
  resultBytes?: number;
  error?: { code?: number; message: string };
  // approval.requested / approval.resolved
  approvalId?: string;
  expiresAt?: number;
  resolution?: string;
  by?: string;
  note?: string;
}

interface Row {
  id: string;
  gateway_instance: string;
  chain_seq: string | number;
  event_json: string;
}

export async function sessionTimeline(
  store: Store,
  session: string,
  page: Page,
): Promise<{ session: string; events: TimelineEntry[]; nextCursor?: string }> {
  const after = decodeCursor("timeline", page.cursor, ["string", "number", "uuid"]);
  const rows = await store.select<Row>(
    `SELECT toString(event_id) AS id, gateway_instance, chain_seq, event_json
     FROM events FINAL
     WHERE session_id = {session:String}
       ${after === undefined ? "" : "AND (gateway_instance, chain_seq, event_id) > ({c_instance:String}, {c_seq:UInt64}, toUUID({c_id:String}))"}
     ORDER BY gateway_instance, chain_seq, event_id
     LIMIT {limit:UInt32}`,
    {
      session,
      limit: page.limit + 1,
      ...(after === undefined ? {} : { c_instance: after[0], c_seq: after[1], c_id: after[2] }),
    },
  );
  if (rows.length === 0 && after === undefined) throw notFound(`no events of session ${session} are stored`);
  const { page: found, nextCursor } = pageOf(
    rows,
    page.limit,
    (row) => [row.gateway_instance, num(row.chain_seq), row.id],
    "timeline",
  );
  return {
    session,
    events: found.map((row) => timelineEntry(JSON.parse(row.event_json) as TollgateEvent)),
    ...(nextCursor === undefined ? {} : { nextCursor }),
  };
}

export function timelineEntry(event: TollgateEvent): TimelineEntry {
  const entry: TimelineEntry = {
    eventId: event.id,
    type: event.type,
    time: event.time,
    instance: event.gateway.instance,
    seq: event.chain.seq,
  };
  switch (event.type) {
    case "call.decided": {
      const { call, decision } = event.payload;
      return {
        ...entry,
        callId: call.id,
        server: call.server,
        tool: call.tool,
        arguments: call.arguments,
        redacted: call.redacted,
        decision: decision.outcome,
        rule: decision.rule,
        basis: decision.basis,
        reason: decision.reason,
        counters: decision.counters,
        policy: decision.policy,
        ...(decision.approval === undefined ? {} : { approval: decision.approval }),
        ...(decision.shadow === undefined
          ? {}
          : {
              shadow: {
                outcome: decision.shadow.outcome,
                rule: decision.shadow.rule,
                reason: decision.shadow.reason,
              },
            }),
      };
    }
    case "call.completed": {
      const { callId, status, latencyMs, resultBytes, error } = event.payload;
      return { ...entry, callId, status, latencyMs, resultBytes, ...(error === undefined ? {} : { error }) };
    }
    case "approval.requested": {
      const { callId, approvalId, rule, reason, expiresAt } = event.payload;
      return { ...entry, callId, approvalId, rule, reason, expiresAt };
    }
    case "approval.resolved": {
      const { callId, approvalId, resolution, by, note } = event.payload;
      return {
        ...entry,
        callId,
        approvalId,
        resolution,
        ...(by === undefined ? {} : { by }),
        ...(note === undefined ? {} : { note }),
      };
    }
    default:
      return entry;
  }
}
