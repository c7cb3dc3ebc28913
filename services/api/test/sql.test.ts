/**
 * The SQL console is read-only on the embedded engine without `readonly` (which chDB would keep for
 * the session): ClickHouse parses the statement and the guard refuses anything but one read.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Fixture, openFixture, post } from "./support/fixture.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await openFixture();
});
afterAll(async () => {
  await fx?.close();
});

const sql = (statement: string, limit?: number) =>
  post(fx.app, "/api/v1/sql", { sql: statement, ...(limit === undefined ? {} : { limit }) });

describe("reads", () => {
  test("a SELECT answers with typed columns in order, and rows", async () => {
    const { alice } = fx.data;
    const { status, body } = await sql(
      `SELECT outcome, count() AS n, 1 FROM events FINAL WHERE type = 'call.decided' AND agent = '${alice}' GROUP BY outcome ORDER BY outcome`,
    );
    expect(status).toBe(200);
    expect(body.kind).toBe("select");
    expect(body.columns).toEqual([
      { name: "outcome", type: "LowCardinality(String)" },
      { name: "n", type: "UInt64" },
      { name: "1", type: "UInt8" },
    ]);
    // 64-bit counts are numbers from the embedded engine, strings from a server: compare as numbers.
    expect(body.rows.map(([outcome, n, one]: unknown[]) => [outcome, Number(n), one])).toEqual([
      ["allow", 4, 1],
      ["approval_required", 2, 1],
      ["deny", 2, 1],
      ["rate_limited", 1, 1],
    ]);
    expect(body.truncated).toBe(false);
  });

  test("WITH, subqueries and JSON functions work; the row cap truncates only the result", async () => {
    const { body } = await sql(
      `WITH decided AS (SELECT * FROM events FINAL WHERE type = 'call.decided')
       SELECT JSONExtractString(arguments, 'namespace') AS ns FROM decided
       WHERE call_id IN (SELECT call_id FROM decided) AND ns LIKE 'ns-%' ORDER BY ns`,
      5,
    );
    expect(body.rows).toEqual([["ns-0"], ["ns-1"], ["ns-10"], ["ns-100"], ["ns-101"]]);
    expect(body.truncated).toBe(true);
    // The cap is not applied inside: the subquery still sees every decision.
    const counted = await sql(
      "SELECT count() FROM events FINAL WHERE call_id IN (SELECT call_id FROM events FINAL WHERE type = 'call.decided')",
      1,
    );
    const withCallIds = fx.data.all.filter((event) => event.type !== "policy.loaded").length;
    expect(counted.body.rows.map(([n]: unknown[]) => Number(n))).toEqual([withCallIds]);
  });

  test.each([
    [
      "SHOW TABLES",
      "show",
      (rows: unknown[][]) =>
        expect(rows.flat()).toEqual(expect.arrayContaining(["events", "replay_reports"])),
    ],
    [
      "DESCRIBE TABLE events",
      "describe",
      (rows: unknown[][]) => expect(rows.map((r) => r[0])).toContain("arguments"),
    ],
    [
      "EXPLAIN SELECT count() FROM events",
      "explain",
      (rows: unknown[][]) => {
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((row) => row.length === 1 && typeof row[0] === "string")).toBe(true);
        expect(rows.flat().join("\n")).toMatch(/Expression|ReadFrom/);
      },
    ],
  ])("%s", async (statement, kind, check) => {
    const { status, body } = await sql(statement);
    expect(status).toBe(200);
    expect(body.kind).toBe(kind);
    check(body.rows);
  });
});

describe("refusals, each a 400 naming the sql field", () => {
  test.each([
    [
      "INSERT INTO events SELECT * FROM events",
      /only SELECT, WITH, SHOW, DESCRIBE and EXPLAIN are accepted, not INSERT/,
    ],
    ["DROP TABLE events", /not DROP/],
    ["ALTER TABLE events DELETE WHERE 1", /not ALTER/],
    ["TRUNCATE TABLE events", /not /],
    ["CREATE TABLE x (a UInt8) ENGINE = Memory", /not CREATE/],
    ["SET readonly = 0", /not SET/],
    ["SYSTEM DROP MARK CACHE", /not SYSTEM/],
    ["OPTIMIZE TABLE events FINAL", /not OPTIMIZE/],
    ["SELECT * FROM file('/etc/passwd')", /table functions are not allowed \(file\)/],
    ["SELECT * FROM FILE('/etc/passwd', 'LineAsString')", /table functions are not allowed/],
    ["SELECT file('/etc/hostname')", /the function file reads outside the database/],
    ["SELECT * FROM url('http://127.0.0.1:1/', CSV)", /table functions are not allowed \(url\)/],
    ["SELECT * FROM s3('http://127.0.0.1:1/x.csv')", /table functions are not allowed \(s3\)/],
    ["SELECT * FROM remote('127.0.0.1', system.one)", /table functions are not allowed \(remote\)/],
    ["SELECT * FROM numbers(10)", /table functions are not allowed \(numbers\)/],
    ["EXPLAIN SELECT * FROM file('/etc/passwd')", /table functions are not allowed \(file\)/],
    ["DESCRIBE TABLE file('/etc/passwd')", /table functions are not allowed \(file\)/],
    [
      "SELECT * FROM events AS e JOIN file('/etc/passwd') AS f ON 1",
      /table functions are not allowed \(file\)/,
    ],
    [
      "SELECT count() FROM events WHERE agent IN (SELECT * FROM url('http://x', CSV, 'a String'))",
      /table functions/,
    ],
    ["SELECT 1; DROP TABLE events", /Multi-statements are not allowed/],
    ["SELECT 1; SELECT 2", /Multi-statements are not allowed/],
    ["SELECT 1 SETTINGS max_threads = 1", /SETTINGS clause is not allowed/],
    ["SELECT * FROM (SELECT 1 SETTINGS readonly = 0)", /SETTINGS clause is not allowed/],
    ["EXPLAIN json = 1 SELECT 1", /SETTINGS clause is not allowed/],
    ["SELECT 1 FORMAT TSV", /FORMAT clause is not allowed/],
    ["SELECT * FROM events INTO OUTFILE '/tmp/tollgate-leak.csv'", /INTO OUTFILE is not allowed/],
    ["EXPLAIN AST INSERT INTO events SELECT * FROM events", /not INSERT/],
    ["SELEC 1", /not one valid statement: Syntax error/],
  ])("%s", async (statement, message) => {
    const { status, body } = await sql(statement);
    expect(status).toBe(400);
    expect(body.error).toBe("sql_refused");
    expect(body.field).toBe("sql");
    expect(body.message).toMatch(message);
  });

  test("nothing was written, dropped or altered, and the session's settings are untouched", async () => {
    const tables = await sql("SHOW TABLES");
    expect(tables.body.rows.flat()).not.toContain("x");
    expect(await fx.store.countEvents()).toBe(fx.data.all.length);
    const settings = await fx.store.select<{ readonly: string | number; limit: string | number }>(
      "SELECT getSetting('readonly') AS readonly, getSetting('limit') AS limit",
    );
    expect(settings).toEqual([{ readonly: 0, limit: 0 }]);
  });

  test("an empty statement or a missing field is a 400 naming it", async () => {
    expect((await post(fx.app, "/api/v1/sql", {})).body).toMatchObject({
      field: "sql",
      message: "sql is required",
    });
    expect((await sql("   ")).body).toMatchObject({ field: "sql", error: "sql_refused" });
    expect((await sql("SELECT 1", 100_000)).body).toMatchObject({ field: "limit" });
  });
});
