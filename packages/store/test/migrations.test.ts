import { describe, expect, test } from "vitest";
import { MIGRATIONS, type Migration, MigrationError } from "../src/index.js";
import { applyMigrations, checksumOf } from "../src/migrate.js";
import { currentRetentionDays } from "../src/retention.js";
import { openTarget, rowsOf, targetNames } from "./support/targets.js";

/** The migrations the store ships; the tests' own come after the last of them. */
const SHIPPED = MIGRATIONS.map((migration) => migration.version);
const LAST = Math.max(...SHIPPED);

const extra = (version: number, name: string, sql: string): Migration => ({
  version,
  name,
  statements: [sql],
});

describe.each(targetNames())("migrations on %s", (name) => {
  const open = openTarget(name);

  test("opening applies every migration once, with its checksum", async () => {
    const applied = await open.store.appliedMigrations();
    expect(applied.map(({ version, name, checksum }) => ({ version, name, checksum }))).toEqual(
      MIGRATIONS.map((migration) => ({
        version: migration.version,
        name: migration.name,
        checksum: checksumOf(migration),
      })),
    );
  });

  test("opening again, or applying again, is a no-op", async () => {
    const before = await open.store.appliedMigrations();
    const again = await open.target.open();
    await again.close();
    expect(await applyMigrations(open.target.sql(), MIGRATIONS)).toEqual([]);
    expect(await open.store.appliedMigrations()).toEqual(before);
  });

  test("a new migration is applied once, after the ones before it", async () => {
    const next = [
      ...MIGRATIONS,
      extra(LAST + 1, "notes", "CREATE TABLE IF NOT EXISTS notes (n String) ENGINE = Log"),
    ];
    expect(await applyMigrations(open.target.sql(), next)).toEqual([LAST + 1]);
    expect(await applyMigrations(open.target.sql(), next)).toEqual([]);
    expect((await open.store.appliedMigrations()).map((row) => row.version)).toEqual([...SHIPPED, LAST + 1]);
  });

  test("a failed migration stops with an error naming it, and the ones after it wait", async () => {
    const next = [
      ...MIGRATIONS,
      extra(LAST + 1, "notes", "CREATE TABLE IF NOT EXISTS notes (n String) ENGINE = Log"),
      extra(LAST + 2, "broken", "CREATE TABLE IF NOT EXISTS broken (n NoSuchType) ENGINE = Log"),
      extra(LAST + 3, "after", "CREATE TABLE IF NOT EXISTS after_broken (n String) ENGINE = Log"),
    ];
    const failure = await applyMigrations(open.target.sql(), next).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MigrationError);
    expect(failure).toMatchObject({ version: LAST + 2, migration: "broken" });
    expect(String((failure as Error).message)).toMatch(
      new RegExp(`^migration ${LAST + 2} \\(broken\\) failed at statement 1 of 1: `),
    );
    expect((await open.store.appliedMigrations()).map((row) => row.version)).toEqual([...SHIPPED, LAST + 1]);
  });

  test("an applied migration whose SQL changed is refused", async () => {
    const edited = [
      ...MIGRATIONS,
      extra(LAST + 1, "notes", "CREATE TABLE IF NOT EXISTS notes (n UInt8) ENGINE = Log"),
    ];
    await expect(applyMigrations(open.target.sql(), edited)).rejects.toThrow(
      new RegExp(`migration ${LAST + 1} \\(notes\\) was applied with different SQL`),
    );
  });

  test("versions must increase", async () => {
    const shuffled = [extra(2, "b", "SELECT 1"), extra(1, "a", "SELECT 1")];
    await expect(applyMigrations(open.target.sql(), shuffled)).rejects.toThrow(
      /migration 1 \(a\) is out of order/,
    );
  });

  test("the events table is a ReplacingMergeTree with monthly partitions, dedup window, TTL and merge base", async () => {
    const [table] = await rowsOf<{ engine_full: string }>(
      open.target.sql(),
      "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
    );
    expect(table?.engine_full).toMatch(/^ReplacingMergeTree PARTITION BY toYYYYMM\(time\)/);
    expect(table?.engine_full).toContain("ORDER BY (agent, toDate(time), tool, session_id, time, event_id)");
    expect(table?.engine_full).toContain("non_replicated_deduplication_window = 1000");
    expect(table?.engine_full).toContain("merge_selector_base = 10");
    expect(await currentRetentionDays(open.target.sql())).toBe(400);
  });

  test("retention follows the option at open", async () => {
    const shorter = await open.target.open({ retentionDays: 30 });
    await shorter.close();
    expect(await currentRetentionDays(open.target.sql())).toBe(30);
    const restored = await open.target.open();
    await restored.close();
    expect(await currentRetentionDays(open.target.sql())).toBe(400);
    await expect(open.target.open({ retentionDays: 0 })).rejects.toThrow(
      /retentionDays must be a whole number/,
    );
  });
});
