/**
 * Every column of every event type, as stored: rows.ts encodes the insert by hand, so this holds its
 * output to the mapping written out plainly below (what a row object through `JSON.stringify` gave
 * before), for awkward values too.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ClickHouseClient } from "@clickhouse/client";
import { newEventId, serializeEvent, type TollgateEvent } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import { recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import { concatRows, EventRowsWriter, eventRows, RowBuffers } from "../src/index.js";
import { insertSettings } from "../src/settings.js";
import { insertThroughClient } from "../src/store.js";
import { openTarget, rowsOf, targetNames } from "./support/targets.js";

interface Columns {
  event_id: string;
  type: string;
  schema: string;
  time: number;
  gateway_instance: string;
  gateway_version: string;
  chain_seq: number;
  chain_prev: string | null;
  chain_hash: string;
  session_id: string;
  agent: string;
  grant: string;
  client_name: string;
  client_version: string;
  transport: string;
  call_id: string;
  server: string;
  tool: string;
  outcome: string;
  rule: string;
  basis: string;
  reason: string;
  status: string;
  latency_ms: number | null;
  decided_at: number;
  policy_digest: string;
  approval: string;
  arguments: string;
  arguments_object: number;
  redacted: string[];
  shadow_outcome: string;
  shadow_rule: string;
  event_json: string;
}

/** The reference: each column from the event, the plain way. */
function expectedColumns(event: TollgateEvent): Columns {
  const none = {
    call_id: "",
    server: "",
    tool: "",
    outcome: "",
    rule: "",
    basis: "",
    reason: "",
    status: "",
    latency_ms: null,
    decided_at: 0,
    policy_digest: "",
    approval: "",
    arguments: "",
    arguments_object: 0,
    redacted: [],
    shadow_outcome: "",
    shadow_rule: "",
  };
  const call = (): Omit<Columns, keyof typeof common> => {
    switch (event.type) {
      case "call.decided": {
        const { call, decision } = event.payload;
        const args = call.arguments;
        return {
          ...none,
          call_id: call.id,
          server: call.server,
          tool: call.tool,
          outcome: decision.outcome,
          rule: decision.rule,
          basis: decision.basis,
          reason: decision.reason,
          decided_at: decision.at,
          policy_digest: decision.policy.digest,
          approval: decision.approval ?? "",
          arguments: JSON.stringify(args) ?? "null",
          arguments_object: typeof args === "object" && args !== null && !Array.isArray(args) ? 1 : 0,
          redacted: call.redacted,
          shadow_outcome: decision.shadow?.outcome ?? "",
          shadow_rule: decision.shadow?.rule ?? "",
        };
      }
      case "call.completed":
        return {
          ...none,
          call_id: event.payload.callId,
          status: event.payload.status,
          latency_ms: event.payload.latencyMs,
        };
      case "approval.requested":
        return {
          ...none,
          call_id: event.payload.callId,
          rule: event.payload.rule,
          reason: event.payload.reason,
        };
      case "approval.resolved":
        return { ...none, call_id: event.payload.callId, status: event.payload.resolution };
      default:
        return none;
    }
  };
  const common = {
    event_id: event.id,
    type: event.type,
    schema: event.schema,
    time: Math.trunc(event.time),
    gateway_instance: event.gateway.instance,
    gateway_version: event.gateway.version,
    chain_seq: event.chain.seq,
    chain_prev: event.chain.prev,
    chain_hash: event.chain.hash,
    session_id: event.session?.id ?? "",
    agent: event.session?.agent ?? "",
    grant: event.session?.grant ?? "",
    client_name: event.session?.client?.name ?? "",
    client_version: event.session?.client?.version ?? "",
    transport: event.session?.transport ?? "",
    event_json: serializeEvent(event),
  };
  return { ...common, ...call() };
}

/** Calls, a held call and a policy load, with arguments that are hard to encode or to parse. */
function awkwardTraffic(gateway: TestGateway): TollgateEvent[] {
  const at = recentHour() + 0.75;
  const session = gateway.session(uniqueName('agent "quoted" \\ é'));
  const calls = [
    // 1e20 is written as 21 digits: ClickHouse's own JSON functions refuse the whole document.
    { n: 1e20, big: 1.2345678901234568e29, tiny: 5e-324, fraction: 0.1 + 0.2 },
    { text: "emoji 😀, quotes \" ' `, backslash \\, newline \n, tab \t, NUL \u0000, LS \u2028, é" },
    { token: "s3cret", nested: [{ deep: [1, 2.5, null, true] }] },
    ["not", "an", "object"],
    "a string",
    null,
  ].flatMap((args, n) =>
    gateway.call(session, { tool: `tool_${n}`, arguments: args, at: at + n * 1_000, latencyMs: 12.25 }),
  );
  const [decided] = calls;
  if (decided?.type !== "call.decided") throw new Error("expected a call.decided first");
  const shadowed: TollgateEvent = {
    ...decided,
    id: newEventId(),
    payload: {
      ...decided.payload,
      decision: {
        ...decided.payload.decision,
        shadow: {
          outcome: "deny",
          rule: "tools.shadowed",
          basis: "rule",
          reason: "shadow says no",
          counters: [],
        },
      },
    },
  };
  const held = gateway.heldCall(session, {
    tool: "k8s_delete_namespace",
    resolution: "approved",
    by: "ops-lead",
    at: at + 60_000,
  });
  return [gateway.policyLoaded(at - 1_000), ...calls, shadowed, ...held];
}

describe.each(targetNames())("columns as stored on %s", (name) => {
  const open = openTarget(name);

  /** Every row of one instance as stored (no FINAL: a duplicate would show), by event id. */
  const storedRows = async (instance: string) => {
    const rows = await rowsOf<Columns & { time: string; chain_seq: string }>(
      open.target.sql(),
      `SELECT * EXCEPT (event_id, time), toString(event_id) AS event_id, toUnixTimestamp64Milli(time) AS time
       FROM events WHERE gateway_instance = '${instance}'`,
    );
    return rows.map((row) => ({ ...row, time: Number(row.time), chain_seq: Number(row.chain_seq) }));
  };

  const expectStored = async (events: TollgateEvent[]) => {
    const rows = await storedRows(events[0]!.gateway.instance);
    expect(rows).toHaveLength(events.length);
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    for (const event of events) expect(byId.get(event.id), event.type).toEqual(expectedColumns(event));
  };

  test("every column of every event type is what the event says", async () => {
    const gateway = new TestGateway();
    const events = awkwardTraffic(gateway);
    expect(new Set(events.map((event) => event.type))).toEqual(
      new Set(["policy.loaded", "call.decided", "call.completed", "approval.requested", "approval.resolved"]),
    );
    await open.store.insertEvents(events);
    await expectStored(events);
  });

  test("strings of every length class read back exactly (one- to three-byte lengths, UTF-8)", async () => {
    const gateway = new TestGateway();
    const session = gateway.session(uniqueName("agent"));
    // Around 42 UTF-16 units (the most whose length byte is written after them), around the one-
    // and two-byte LEB128 limits (127 and 16,383 bytes), and beyond.
    const texts = [
      "a".repeat(42),
      "a".repeat(43),
      "€".repeat(42), // 126 bytes
      "€".repeat(43), // 129 bytes
      "😀".repeat(21), // 42 units, 84 bytes
      "😀".repeat(22),
      "a".repeat(127),
      "a".repeat(128),
      // ASCII is written a character at a time up to 127: one character beyond it, at the end.
      `${"a".repeat(126)}é`,
      `${"a".repeat(60)}\u0080`,
      "a".repeat(16_383),
      "a".repeat(16_384),
      "€".repeat(50_000),
    ];
    const events = texts.flatMap((text, n) =>
      gateway.call(session, { tool: text, reason: text, outcome: "deny", at: recentHour() + n }),
    );
    await open.store.insertEvents(events);
    await expectStored(events);
  });

  test("through the client's exec (how a server is written to), the same rows, once per token", async () => {
    const events = awkwardTraffic(new TestGateway());
    const rows = eventRows(events);
    const settings = insertSettings(uniqueName("range"));
    const server = name === "http" ? open.target.sql() : serverStandIn(open.target.sql());
    await insertThroughClient(server, rows, settings);
    await insertThroughClient(server, rows, settings);
    await expectStored(events);
  });

  test("a batch resent with its token is stored once, merges or not", async () => {
    const events = awkwardTraffic(new TestGateway());
    const deduplicationToken = uniqueName("range");
    await open.target.sql().command({ query: "SYSTEM STOP MERGES events" });
    try {
      // As ingest resends a batch: the same encoded rows, then the same events encoded again.
      const rows = eventRows(events);
      await open.store.insertRows(rows, { deduplicationToken });
      await open.store.insertRows(rows, { deduplicationToken });
      await open.store.insertEvents(events, { deduplicationToken });
      await expectStored(events);
    } finally {
      await open.target.sql().command({ query: "SYSTEM START MERGES events" });
    }
  });

  test("rows written an event at a time and joined across batches are the batch's rows", async () => {
    const events = awkwardTraffic(new TestGateway());
    const buffers = new RowBuffers();
    // As Kafka ingest writes them: each partition batch's events as they are parsed, with raw JSON.
    const parts = [events.slice(0, 3), events.slice(3)].map((part) => {
      const writer = new EventRowsWriter(1, buffers);
      for (const event of part) writer.add({ event, json: Buffer.from(serializeEvent(event)) });
      return writer.rows();
    });
    const joined = concatRows(parts);
    expect(joined.count).toBe(events.length);
    expect(joined.parts).toHaveLength(2);
    expect(Buffer.concat(joined.parts)).toEqual(Buffer.concat(eventRows(events).parts));
    expect(concatRows([parts[0]!])).toBe(parts[0]);
    await open.store.insertRows(joined, { deduplicationToken: uniqueName("range") });
    await expectStored(events);
  });

  test("an event id that is not a UUID fails the batch before anything is stored", async () => {
    const events = awkwardTraffic(new TestGateway());
    const broken = events.map((event, index) => (index === 2 ? { ...event, id: "not-a-uuid" } : event));
    await expect(open.store.insertEvents(broken)).rejects.toThrow(/not a UUID: "not-a-uuid"/);
    expect(await storedRows(events[0]!.gateway.instance)).toEqual([]);
  });
});

/**
 * What a ClickHouse server does with `INSERT INTO t (columns) FORMAT RowBinary`: it reads the body
 * with the table's own types for those columns. chDB's client connection cannot stand in for it
 * here: it decodes a request body as UTF-8 text (chdb 3.4), which mangles binary rows. This answers
 * the client's `exec` by writing the body to a file and reading it with the table's types instead.
 */
function serverStandIn(sql: ClickHouseClient): Pick<ClickHouseClient, "exec"> {
  const exec = async (params: ExecParams) => {
    const statement = /^INSERT INTO (\w+) \(([^)]+)\) FORMAT RowBinary$/.exec(params.query);
    if (statement === null || params.values === undefined) throw new Error(`unexpected: ${params.query}`);
    const [, table, columnList] = statement as unknown as [string, string, string];
    const columns = columnList.split(", ");
    const types = new Map(
      (
        await rowsOf<{ name: string; type: string }>(
          sql,
          `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = '${table}'`,
        )
      ).map((column) => [column.name, column.type]),
    );
    const structure = columns.map((column) => `${column} ${types.get(column)}`).join(", ");
    const directory = mkdtempSync(join(tmpdir(), "tollgate-server-stand-in-"));
    try {
      const file = join(directory, "body.bin");
      const chunks: Buffer[] = [];
      for await (const chunk of params.values as AsyncIterable<Buffer>) chunks.push(chunk);
      writeFileSync(file, Buffer.concat(chunks));
      const source = `file('${file}', 'RowBinary', '${structure.replaceAll("'", "\\'")}')`;
      await sql.command({
        query: `INSERT INTO ${table} (${columnList}) SELECT * FROM ${source}`,
        clickhouse_settings: params.clickhouse_settings,
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    return { stream: Readable.from([]), query_id: "", response_headers: {} };
  };
  return { exec: exec as unknown as ClickHouseClient["exec"] };
}

type ExecParams = Parameters<ClickHouseClient["exec"]>[0] & { values?: unknown };
