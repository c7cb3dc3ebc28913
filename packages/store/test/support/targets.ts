/**
 * Where a store test runs: always the embedded chDB engine (one temp directory per test file, as
 * chDB allows one path per process), and a ClickHouse server too when CLICKHOUSE_URL is set, in a
 * database of its own that is dropped afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClickHouseClient, createClient } from "@clickhouse/client";
import { createChdbConnection } from "chdb/connection";
import { afterAll, beforeAll } from "vitest";
import type { ClientConnection } from "../../src/engine.js";
import { openStore, type Store, type StoreOptions } from "../../src/index.js";

export interface TestTarget {
  name: string;
  options: StoreOptions;
  open(extra?: { retentionDays?: number }): Promise<Store>;
  /** A plain client on the same data, for what tests do behind the store's back. */
  sql(): ClickHouseClient;
  dispose(): Promise<void>;
}

export function targetNames(): string[] {
  return process.env.CLICKHOUSE_URL ? ["chdb", "http"] : ["chdb"];
}

/** A target and a store open on it, filled in before the calling block's tests run. */
export interface OpenTarget {
  target: TestTarget;
  store: Store;
}

/**
 * For a `describe` block: makes the target and opens its store before the block's tests, closes
 * and disposes of them after. Register the block's own setup (inserts) after this call.
 */
export function openTarget(name: string): OpenTarget {
  const open = {} as OpenTarget; // filled in by beforeAll, before any test reads it
  beforeAll(async () => {
    open.target = await makeTarget(name);
    open.store = await open.target.open();
  });
  afterAll(async () => {
    await open.store?.close();
    await open.target?.dispose();
  });
  return open;
}

export async function makeTarget(name: string): Promise<TestTarget> {
  return name === "http" ? httpTarget(process.env.CLICKHOUSE_URL ?? "") : chdbTarget();
}

function chdbTarget(): TestTarget {
  const path = mkdtempSync(join(tmpdir(), "tollgate-store-"));
  const options: StoreOptions = { path };
  let client: ClickHouseClient | undefined;
  return {
    name: "chdb",
    options,
    open: (extra) => openStore({ ...options, ...extra }),
    sql: () => {
      // A second connection on the same path is allowed: only a different path is refused.
      client ??= createClient({ connection: createChdbConnection({ path }) as unknown as ClientConnection });
      return client;
    },
    dispose: async () => {
      await client?.close();
      rmSync(path, { recursive: true, force: true });
    },
  };
}

async function httpTarget(serverUrl: string): Promise<TestTarget> {
  const database = `tollgate_test_${process.pid}_${Date.now()}`;
  const admin = createClient({ url: serverUrl });
  await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const options: StoreOptions = { url: url.toString() };
  const client = createClient({ url: url.toString() });
  return {
    name: "http",
    options,
    open: (extra) => openStore({ ...options, ...extra }),
    sql: () => client,
    dispose: async () => {
      await client.close();
      await admin.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await admin.close();
    },
  };
}

export async function rowsOf<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  return (await client.query({ query, format: "JSONEachRow" })).json<T>();
}
