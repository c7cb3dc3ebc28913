/**
 * The store: `openStore` connects (server or embedded), migrates, applies retention, and returns a
 * `Store` whose few methods are everything ingest, audit and forensics need.
 */
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { ClickHouseClient } from "@clickhouse/client";
import type { TollgateEvent } from "@tollgate/events";
import { type Engine, openChdbEngine, openHttpEngine, type StoreTarget } from "./engine.js";
import { messageOf, StoreUnavailableError } from "./errors.js";
import type { EventFilter } from "./filters.js";
import { type AppliedMigration, appliedMigrations, applyMigrations } from "./migrate.js";
import { DEFAULT_RETENTION_DAYS, MIGRATIONS } from "./migrations.js";
import * as reads from "./reads.js";
import * as reports from "./reports.js";
import { applyRetention, checkRetentionDays } from "./retention.js";
import { type EventInput, type EventRows, eventRows } from "./rows.js";
import { type InsertSettings, insertSettings } from "./settings.js";

export type StoreOptions = (
  | {
      /** A ClickHouse server: `http[s]://[user:password@]host:port[/database]`. */
      url: string;
    }
  | {
      /** A directory for the embedded chDB engine: one per process (see engine.ts). */
      path: string;
    }
) & {
  /** Days an event is kept (TTL on its time). Default 400. */
  retentionDays?: number;
};

export type TextFormat = "TabSeparated" | "CSVWithNames" | "TabSeparatedWithNames" | "JSONEachRow";
/**
 * RowBinary: row after row, each value as ClickHouse holds it. Native: blocks of columns, each
 * column's values together, which ClickHouse writes with less work per value.
 */
export type BinaryFormat = "RowBinary" | "Native";

export interface InsertOptions {
  /**
   * Makes a retried batch a no-op: ClickHouse remembers the tokens of recent inserts (the last 1000
   * per table) and skips a batch whose token it has seen. Ingest passes one per Kafka offset range.
   */
  deduplicationToken?: string;
}

export interface Store {
  readonly target: StoreTarget;
  /** One synchronous insert; acknowledged means durable and visible to reads. */
  insertEvents(events: readonly EventInput[], options?: InsertOptions): Promise<void>;
  /**
   * Like `insertEvents`, for events already encoded by `eventRows` (ingest encodes the next batch
   * while this one is being stored).
   */
  insertRows(rows: EventRows, options?: InsertOptions): Promise<void>;
  countEvents(filter?: EventFilter): Promise<number>;
  /** Ids in time order. */
  eventIds(filter?: EventFilter): Promise<string[]>;
  /** Events as stored (byte-exact JSON), in time order. */
  readEvents(filter?: EventFilter & { limit?: number }): Promise<reads.StoredEvent[]>;
  /** One gateway instance's events in chain order, for `verifyChains`. */
  eventsOfInstance(instance: string): Promise<TollgateEvent[]>;
  /** Gateway instances with events here, for `tollgate audit verify`. */
  instances(): Promise<string[]>;
  /**
   * A read query written by tollgate's own code, never SQL text from a user: user values travel
   * only as `{name:Type}` parameters. Rows come back as JSON objects.
   */
  select<T>(query: string, params?: Record<string, unknown>): Promise<T[]>;
  /**
   * Like `select`, with the result as text in a ClickHouse output format (default TabSeparated):
   * for bulk reads that parse faster by hand than as JSON (replay). Page large reads.
   */
  selectText(query: string, params?: Record<string, unknown>, format?: TextFormat): Promise<string>;
  /**
   * Like `select`, with the result as bytes in one of ClickHouse's binary formats (RowBinary by
   * default): for the bulk reads where formatting numbers as text and parsing them back is most
   * of the cost (replay). Page large reads.
   */
  selectBinary(query: string, params?: Record<string, unknown>, format?: BinaryFormat): Promise<Uint8Array>;
  /**
   * Rows already in TabSeparated, for bulk loads (benchmarks, imports) into `events`: columns left
   * out take their defaults. What gateways record goes through `insertEvents`.
   */
  bulkInsert(columns: readonly string[], tabSeparated: string): Promise<void>;
  saveReplayReport(report: reports.ReplayReportRecord): Promise<void>;
  /** Newest first. */
  replayReports(limit?: number): Promise<reports.ReplayReportSummary[]>;
  replayReport(id: string): Promise<reports.ReplayReportRecord | undefined>;
  appliedMigrations(): Promise<AppliedMigration[]>;
  /** Resolves when ClickHouse answers a query; throws `StoreUnavailableError` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const retentionDays = checkRetentionDays(options.retentionDays ?? DEFAULT_RETENTION_DAYS);
  const engine = "url" in options ? openHttpEngine(options.url) : await openChdbEngine(options.path);
  try {
    const store = new ClickHouseStore(engine);
    await store.ping();
    await applyMigrations(engine.client, MIGRATIONS);
    await applyRetention(engine.client, retentionDays);
    return store;
  } catch (error) {
    await engine.release();
    throw error;
  }
}

/** The store's options from the environment: `CLICKHOUSE_URL` when set, else the embedded engine. */
export function storeOptionsFromEnv(defaultPath: string, env: NodeJS.ProcessEnv = process.env): StoreOptions {
  const url = env.CLICKHOUSE_URL?.trim();
  return url ? { url } : { path: defaultPath };
}

class ClickHouseStore implements Store {
  private closed = false;

  constructor(private readonly engine: Engine) {}

  get target(): StoreTarget {
    return this.engine.target;
  }

  async insertEvents(events: readonly EventInput[], options: InsertOptions = {}): Promise<void> {
    if (events.length === 0) return;
    await this.insertRows(eventRows(events), options);
  }

  async insertRows(rows: EventRows, options: InsertOptions = {}): Promise<void> {
    if (rows.count === 0) return;
    const client = this.client(); // throws StoreUnavailableError when closed, like every other call
    const settings = insertSettings(options.deduplicationToken);
    if (this.engine.insertRowBinary !== undefined) {
      await this.engine.insertRowBinary("events", rows, settings);
      return;
    }
    await insertThroughClient(client, rows, settings);
  }

  countEvents(filter?: EventFilter): Promise<number> {
    return reads.countEvents(this.client(), filter);
  }

  eventIds(filter?: EventFilter): Promise<string[]> {
    return reads.eventIds(this.client(), filter);
  }

  readEvents(filter?: EventFilter & { limit?: number }): Promise<reads.StoredEvent[]> {
    return reads.readEvents(this.client(), filter);
  }

  eventsOfInstance(instance: string): Promise<TollgateEvent[]> {
    return reads.eventsOfInstance(this.client(), instance);
  }

  instances(): Promise<string[]> {
    return reads.instances(this.client());
  }

  async select<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const result = await this.client().query({ query, query_params: params, format: "JSONEachRow" });
    return result.json<T>();
  }

  async selectText(
    query: string,
    params: Record<string, unknown> = {},
    format: TextFormat = "TabSeparated",
  ): Promise<string> {
    const result = await this.client().query({ query, query_params: params, format });
    return result.text();
  }

  async selectBinary(
    query: string,
    params: Record<string, unknown> = {},
    format: BinaryFormat = "RowBinary",
  ): Promise<Uint8Array> {
    // The client parses no binary format itself; exec hands over the response body as it is.
    const result = await this.client().exec({ query: `${query}\nFORMAT ${format}`, query_params: params });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
  }

  async bulkInsert(columns: readonly string[], tabSeparated: string): Promise<void> {
    const client = this.client();
    const settings = insertSettings(undefined);
    if (this.engine.rawInsert !== undefined) {
      await this.engine.rawInsert("events", columns, tabSeparated, settings);
      return;
    }
    await client.insert({
      table: "events",
      values: Readable.from([tabSeparated]),
      format: "TabSeparated",
      columns: columns as [string, ...string[]],
      clickhouse_settings: settings,
    });
  }

  saveReplayReport(report: reports.ReplayReportRecord): Promise<void> {
    return reports.saveReplayReport(this.client(), report);
  }

  replayReports(limit = 100): Promise<reports.ReplayReportSummary[]> {
    return reports.replayReports(this.client(), limit);
  }

  replayReport(id: string): Promise<reports.ReplayReportRecord | undefined> {
    return reports.replayReport(this.client(), id);
  }

  appliedMigrations(): Promise<AppliedMigration[]> {
    return appliedMigrations(this.client());
  }

  async ping(): Promise<void> {
    const result = await this.client().ping({ select: true });
    if (!result.success) {
      throw new StoreUnavailableError(
        `ClickHouse is unavailable at ${describe(this.target)}: ${messageOf(result.error)}`,
        { cause: result.error },
      );
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.engine.release();
  }

  private client(): ClickHouseClient {
    if (this.closed) {
      throw new StoreUnavailableError(`the store at ${describe(this.target)} is closed`);
    }
    return this.engine.client;
  }
}

/**
 * Encoded rows into `events` through `@clickhouse/client` (a ClickHouse server): `exec` with the
 * RowBinary bytes as the request body. Its `insert` does not fit: it takes row objects or text.
 * Exported for the store's tests.
 */
export async function insertThroughClient(
  client: Pick<ClickHouseClient, "exec">,
  rows: EventRows,
  settings: InsertSettings,
): Promise<void> {
  const body = rows.parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength));
  const result = await client.exec({
    query: `INSERT INTO events (${rows.layout.columns.join(", ")}) FORMAT RowBinary`,
    values: Readable.from(body, { objectMode: false }),
    clickhouse_settings: settings,
  });
  // The answer holds nothing to read; reading it to its end gives the connection back.
  result.stream.resume();
  await finished(result.stream);
}

function describe(target: StoreTarget): string {
  return target.kind === "http" ? target.url : `chDB path ${target.path}`;
}
