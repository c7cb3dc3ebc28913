/** Applies the migrations a database has not seen yet, in order, and records each one. */
import { createHash } from "node:crypto";
import type { ClickHouseClient } from "@clickhouse/client";
import { MigrationError, messageOf } from "./errors.js";
import { CREATE_SCHEMA_MIGRATIONS, type Migration } from "./migrations.js";
import { INSERT_SETTINGS } from "./settings.js";

export interface AppliedMigration {
  version: number;
  name: string;
  checksum: string;
  appliedAt: number;
}

export function checksumOf(migration: Migration): string {
  return `sha256:${createHash("sha256").update(migration.statements.join("\n;\n")).digest("hex")}`;
}

/** Returns the versions it applied now (empty when the database was up to date). */
export async function applyMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[],
): Promise<number[]> {
  checkOrder(migrations);
  await client.command({ query: CREATE_SCHEMA_MIGRATIONS });
  const applied = new Map((await appliedMigrations(client)).map((row) => [row.version, row]));
  const appliedNow: number[] = [];
  for (const migration of migrations) {
    const before = applied.get(migration.version);
    if (before !== undefined) {
      checkUnchanged(migration, before);
      continue;
    }
    await apply(client, migration);
    appliedNow.push(migration.version);
  }
  return appliedNow;
}

export async function appliedMigrations(client: ClickHouseClient): Promise<AppliedMigration[]> {
  const result = await client.query({
    query: `SELECT version, name, checksum, toUnixTimestamp64Milli(applied_at) AS applied_at
            FROM schema_migrations FINAL ORDER BY version`,
    format: "JSONEachRow",
  });
  const rows = await result.json<{ version: number; name: string; checksum: string; applied_at: string }>();
  return rows.map((row) => ({
    version: Number(row.version),
    name: row.name,
    checksum: row.checksum,
    appliedAt: Number(row.applied_at),
  }));
}

async function apply(client: ClickHouseClient, migration: Migration): Promise<void> {
  for (const [index, statement] of migration.statements.entries()) {
    try {
      await client.command({ query: statement });
    } catch (error) {
      throw new MigrationError(
        migration.version,
        migration.name,
        `migration ${migration.version} (${migration.name}) failed at statement ${index + 1} of ` +
          `${migration.statements.length}: ${messageOf(error)}; later migrations were not applied`,
        { cause: error },
      );
    }
  }
  // Recorded only once every statement ran: a half-applied migration runs again next time.
  await client.insert({
    table: "schema_migrations",
    values: [{ version: migration.version, name: migration.name, checksum: checksumOf(migration) }],
    format: "JSONEachRow",
    clickhouse_settings: INSERT_SETTINGS,
  });
}

function checkUnchanged(migration: Migration, applied: AppliedMigration): void {
  const checksum = checksumOf(migration);
  if (checksum === applied.checksum) return;
  throw new MigrationError(
    migration.version,
    migration.name,
    `migration ${migration.version} (${migration.name}) was applied with different SQL ` +
      `(${applied.checksum} then, ${checksum} now): applied migrations are never edited, add a new one`,
  );
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.reduce((previous, migration) => {
    if (!Number.isInteger(migration.version) || migration.version <= previous) {
      throw new MigrationError(
        migration.version,
        migration.name,
        `migration ${migration.version} (${migration.name}) is out of order: versions are whole ` +
          `numbers, strictly increasing (previous: ${previous})`,
      );
    }
    return migration.version;
  }, 0);
}
