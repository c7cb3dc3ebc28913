/**
 * Where the store's SQL runs: a ClickHouse server over HTTP or the embedded chDB engine, both behind
 * the same `@clickhouse/client` API, so every query in this package is written once.
 *
 * chDB binds one data directory per process (the engine is a process singleton). Opening a second,
 * different directory while one is live would close the first under its feet, so this module keeps
 * the process's one engine path, counts the stores using it, and refuses any other path with an
 * `EnginePathError` until they are all closed. Tests: one path per test file, in vitest's forks pool.
 */
import { createHash } from "node:crypto";
import { resolve } from "node:path";
import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client";
import { EnginePathError, messageOf, StoreUnavailableError } from "./errors.js";
import type { RowLayout } from "./rows.js";
import type { InsertSettings } from "./settings.js";
import { StagingFiles } from "./staging.js";

export type StoreTarget = { kind: "http"; url: string } | { kind: "chdb"; path: string };

/** Inserts rows already written as TabSeparated: chDB's zero-copy path (its own multithreaded parser). */
export type RawInsert = (
  table: string,
  columns: readonly string[],
  tabSeparated: string,
  settings: Record<string, string | number>,
) => Promise<void>;

/** Rows already in RowBinary, laid out as `layout` says. */
export interface RowBinary {
  /** The bytes, in parts read one after the other. */
  parts: readonly Uint8Array[];
  layout: RowLayout;
}

export type RowBinaryInsert = (table: string, rows: RowBinary, settings: InsertSettings) => Promise<void>;

export interface Engine {
  client: ClickHouseClient;
  target: StoreTarget;
  /**
   * Set for the embedded engine, for rows as text (bulk loads): about 2.5× faster than the client's
   * insert for the same rows.
   */
  rawInsert?: RawInsert;
  /**
   * Set for the embedded engine, which takes RowBinary only from a file (staging.ts): its
   * `rawInsert` takes text formats only, and its client connection decodes a request body as UTF-8
   * text (chdb 3.4), which mangles binary rows. A server takes them as the body of the client's
   * `exec` (store.ts, `insertThroughClient`).
   */
  insertRowBinary?: RowBinaryInsert;
  /** Closes the client and, for chDB, frees the process's engine slot once no store uses it. */
  release(): Promise<void>;
}

/**
 * chdb 3.4 types its connection against @clickhouse/client-common 1.23.0, while @clickhouse/client
 * 1.23.1 bundles its own copy of those types whose settings list differs: the same contract at run
 * time (chdb's parity tests), two nominally different types at compile time.
 */
export type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

interface EngineSlot {
  path: string;
  users: number;
}

let slot: EngineSlot | undefined;
/** Set while the engine lets go of a path, so the next open waits instead of racing it. */
let draining: Promise<void> = Promise.resolve();

export function openHttpEngine(url: string): Engine {
  // The client's own warning about a failed ping would repeat the StoreUnavailableError we throw.
  const client = createClient({ url, request_timeout: 30_000, log: { level: ClickHouseLogLevel.ERROR } });
  return { client, target: { kind: "http", url: withoutPassword(url) }, release: () => client.close() };
}

/**
 * chDB's native engine, loaded by the first chDB store a process opens, not by importing the store
 * package. The engine binds one data directory per process: after a worker thread that had merely
 * loaded the module ended, the main thread's next query never answered (seen with replay's
 * workers, which read through the main thread's store and import this package only for its
 * constants and types).
 */
async function chdbModules() {
  const [{ drainPending }, { createChdbConnection }] = await Promise.all([
    import("chdb"),
    import("chdb/connection"),
  ]);
  return { drainPending, createChdbConnection };
}

export async function openChdbEngine(directory: string): Promise<Engine> {
  const path = resolve(directory);
  const { drainPending, createChdbConnection } = await chdbModules();
  await draining;
  takeSlot(path);
  let client: ClickHouseClient;
  let connection: ReturnType<typeof createChdbConnection>;
  try {
    connection = createChdbConnection({ path });
    client = createClient({ connection: connection as unknown as ClientConnection });
  } catch (error) {
    giveBackSlot();
    throw new StoreUnavailableError(
      `cannot open the embedded ClickHouse (chDB) at '${path}': ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const staging = new StagingFiles();
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    try {
      await client.close();
    } finally {
      if (giveBackSlot()) draining = drainPending();
      await staging.remove();
    }
    await draining;
  };
  const rawInsert: RawInsert = async (table, columns, tabSeparated, settings) => {
    await connection.chdb.rawInsert({
      table,
      values: tabSeparated,
      format: "TabSeparated",
      columns,
      settings,
    });
  };
  const insertRowBinary: RowBinaryInsert = (table, rows, settings) =>
    staging.withFile(rows.parts, async (file) => {
      await client.command({
        query: insertFromFile(table, rows.layout, file),
        clickhouse_settings: { ...settings, insert_deduplication_token: tokenFor(rows, settings) },
      });
    });
  return { client, target: { kind: "chdb", path }, release, rawInsert, insertRowBinary };
}

/**
 * `INSERT … SELECT` from the staging file, every column listed: ClickHouse reads the file with the
 * layout's types and converts those that differ from the table's as it inserts (rows.ts says which
 * and why).
 *
 * ClickHouse deduplicates an `INSERT … SELECT` only when it holds the SELECT's result stable, and
 * it holds a `file()` read stable only under a dedup token. `force_enable` makes it refuse the
 * insert rather than store a resent batch twice, should that ever change; in the query's own
 * SETTINGS clause, it applies to this query alone (chDB keeps settings passed beside a query for
 * the rest of the session, settings.ts).
 */
function insertFromFile(table: string, layout: RowLayout, file: string): string {
  return (
    `INSERT INTO ${table} (${layout.columns.join(", ")}) ` +
    `SELECT * FROM file(${sqlString(file)}, 'RowBinary', ${sqlString(layout.structure)}) ` +
    "SETTINGS deduplicate_insert_select = 'force_enable'"
  );
}

/**
 * The caller's token, or one that names the rows' bytes: what ClickHouse's own dedup by block hash
 * does for an insert without a token, which it does not do for an `INSERT … SELECT` from a file.
 * Hashing costs about 1 µs per event; ingest always passes a token.
 */
function tokenFor(rows: RowBinary, settings: InsertSettings): string {
  if (settings.insert_deduplication_token !== "") return settings.insert_deduplication_token;
  const hash = createHash("sha256").update(rows.layout.structure);
  for (const part of rows.parts) hash.update(part);
  return `rows-sha256-${hash.digest("hex")}`;
}

/** A ClickHouse string literal. */
function sqlString(text: string): string {
  return `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** The chDB path this process has open, if any (for diagnostics and tests). */
export function activeEnginePath(): string | undefined {
  return slot?.path;
}

function takeSlot(path: string): void {
  if (slot !== undefined && slot.path !== path) {
    throw new EnginePathError(
      `chDB runs one engine path per process: '${slot.path}' is open (${slot.users} store(s)); ` +
        `close them before opening '${path}', or run the other path in its own process ` +
        "(vitest: the forks pool gives each test file one)",
    );
  }
  slot = { path, users: (slot?.users ?? 0) + 1 };
}

/** Returns true when the last user left, so the caller waits for the engine to let go. */
function giveBackSlot(): boolean {
  if (slot === undefined) return false;
  slot.users -= 1;
  if (slot.users > 0) return false;
  slot = undefined;
  return true;
}

/** A URL fit for messages and logs: the password never leaves through an error text. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(malformed URL)";
  }
}
