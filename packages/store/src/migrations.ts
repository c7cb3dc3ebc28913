/**
 * The schema, as an append-only list of migrations. An applied migration is never edited (its
 * checksum is checked at every open): change the schema by adding the next one. Each statement is
 * idempotent (`IF NOT EXISTS`, …) so a migration that failed half-way, or two processes opening
 * the same server at once, can simply run it again.
 */
export interface Migration {
  version: number;
  name: string;
  /** One statement each: a ClickHouse server takes one statement per request. */
  statements: readonly string[];
}

/** How long events are kept unless `openStore({ retentionDays })` says otherwise. */
export const DEFAULT_RETENTION_DAYS = 400;

/**
 * Every event, one row each. Why this shape:
 * - ReplacingMergeTree with `event_id` last in the sorting key: a duplicate (at-least-once ingest, a
 *   retried batch) has the same key and collapses on merge; reads use FINAL until then.
 * - ORDER BY starts with the low-cardinality columns investigators filter on (agent, day, tool),
 *   then session: agent + time range is a key prefix, and tool or session alone still prunes
 *   granules by generic exclusion search (their predecessors have few distinct values).
 * - PRIMARY KEY is a prefix of ORDER BY so the in-memory index does not hold time and event ids.
 * - Call columns are empty for other event types: one wide table, no joins for the common filters.
 * - `event_json` is the event exactly as received (arguments already redacted): what audit reads and
 *   verifies; the columns are only a projection of it for filtering.
 * - `non_replicated_deduplication_window` turns on insert deduplication (block hash or
 *   `insert_deduplication_token`) for this non-replicated table; it is off (0) by default.
 * - No column the engine fills in (an `ingested_at DEFAULT now64()`): it would make a resent batch's
 *   block hash differ, and only the token would still recognise the retry.
 * - `status` holds call.completed's status and approval.resolved's resolution.
 */
const CREATE_EVENTS = `
CREATE TABLE IF NOT EXISTS events
(
    event_id UUID,
    type LowCardinality(String),
    schema LowCardinality(String),
    time DateTime64(3, 'UTC'),
    gateway_instance LowCardinality(String),
    gateway_version LowCardinality(String),
    chain_seq UInt64,
    chain_prev Nullable(String),
    chain_hash String,
    session_id String,
    agent LowCardinality(String),
    grant LowCardinality(String),
    client_name LowCardinality(String),
    client_version LowCardinality(String),
    transport LowCardinality(String),
    call_id String,
    server LowCardinality(String),
    tool LowCardinality(String),
    outcome LowCardinality(String),
    rule LowCardinality(String),
    basis LowCardinality(String),
    reason String,
    status LowCardinality(String),
    latency_ms Nullable(Float64),
    event_json String CODEC(ZSTD(3)),
    INDEX time_minmax time TYPE minmax GRANULARITY 1,
    INDEX seq_minmax chain_seq TYPE minmax GRANULARITY 1,
    INDEX session_bloom session_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX call_bloom call_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX event_bloom event_id TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX instance_set gateway_instance TYPE set(256) GRANULARITY 4
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
PRIMARY KEY (agent, toDate(time), tool, session_id)
ORDER BY (agent, toDate(time), tool, session_id, time, event_id)
TTL toDateTime(time) + INTERVAL ${DEFAULT_RETENTION_DAYS} DAY
SETTINGS non_replicated_deduplication_window = 1000, ttl_only_drop_parts = 1`;

/**
 * ZSTD(1) instead of ZSTD(3) for the event JSON: measured on chDB 26.7 with realistic events, it
 * inserts faster (about 60k vs 41–51k events/s) and was no larger (3.6 vs 4.1 MB per 40k events).
 * Applies to parts written from now on; merges recompress older ones.
 */
const EVENT_JSON_ZSTD1 = "ALTER TABLE events MODIFY COLUMN event_json String CODEC(ZSTD(1))";

/**
 * What replay and forensic search read, as columns: replay reads millions of decisions a second and
 * cannot afford to parse each event's JSON in JavaScript. New rows get the values from the writer
 * (rows.ts); the DEFAULT expressions fill them for rows written before this migration, computed
 * from the event JSON when read.
 * - `decided_at`: the time the decider was given (`decision.at`), which replay must reuse exactly;
 *   the event's own `time` is taken a moment later.
 * - `policy_digest`: the policy that decided, so replay can pick the baseline per call.
 * - `approval`: `granted` on the re-decision after a person approved a held call.
 * - `arguments`: the redacted arguments as JSON text, for argument checks and argument search.
 * - `arguments_object`: 1 when the arguments are a JSON object (the decider refuses anything else),
 *   so replay need not read `arguments` for tools whose arguments no policy checks.
 * - `redacted`: the argument paths redaction replaced.
 * - `shadow_outcome`/`shadow_rule`: what the policy's shadow rules would have decided.
 */
const DECIDED = "if(type = 'call.decided', event_json, '{}')";
const REPLAY_COLUMNS = [
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS decided_at Float64 DEFAULT JSONExtractFloat(${DECIDED}, 'payload', 'decision', 'at')`,
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS policy_digest LowCardinality(String) DEFAULT JSONExtractString(${DECIDED}, 'payload', 'decision', 'policy', 'digest')`,
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS approval LowCardinality(String) DEFAULT JSONExtractString(${DECIDED}, 'payload', 'decision', 'approval')`,
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS arguments String DEFAULT if(type = 'call.decided', JSONExtractRaw(event_json, 'payload', 'call', 'arguments'), '') CODEC(ZSTD(1))`,
  "ALTER TABLE events ADD COLUMN IF NOT EXISTS arguments_object UInt8 DEFAULT startsWith(arguments, '{')",
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS redacted Array(String) DEFAULT JSONExtract(${DECIDED}, 'payload', 'call', 'redacted', 'Array(String)')`,
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS shadow_outcome LowCardinality(String) DEFAULT JSONExtractString(${DECIDED}, 'payload', 'decision', 'shadow', 'outcome')`,
  `ALTER TABLE events ADD COLUMN IF NOT EXISTS shadow_rule LowCardinality(String) DEFAULT JSONExtractString(${DECIDED}, 'payload', 'decision', 'shadow', 'rule')`,
];

/**
 * Replay reports, kept so investigators and the UI can open them later. The report is stored as
 * the JSON `tollgate replay --format json` prints; the columns are what a list shows.
 */
const CREATE_REPLAY_REPORTS = `
CREATE TABLE IF NOT EXISTS replay_reports
(
    id String,
    created_at DateTime64(3, 'UTC'),
    candidate_name String,
    candidate_digest String,
    window_from DateTime64(3, 'UTC'),
    window_to DateTime64(3, 'UTC'),
    verdict LowCardinality(String),
    calls UInt64,
    changed UInt64,
    report_json String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
ORDER BY id`;

/**
 * The columns that repeat across a gateway's calls (instance, identity, tool, recorded decision,
 * policy), hashed by ClickHouse at insert: replay reads one number per call instead of hashing
 * twelve columns for every call of every replay. 53 bits, so JavaScript reads it exactly. Rows
 * written before this migration get it computed when read.
 */
export const CALL_PROFILE_COLUMNS =
  "gateway_instance, agent, grant, server, tool, outcome, rule, basis, shadow_outcome, shadow_rule, approval, policy_digest";
const CALL_PROFILE = `ALTER TABLE events ADD COLUMN IF NOT EXISTS call_profile UInt64
  MATERIALIZED bitAnd(cityHash64(${CALL_PROFILE_COLUMNS}), 9007199254740991)`;

/**
 * Merges that wait for about ten parts of a size instead of five. Ingest writes a part per insert
 * (about 22,000 events from Kafka) and ClickHouse rewrites each row at every level of merging;
 * with the default base of 5, merges took 8.5-10.5 µs of CPU per event in a Kafka ingest of 1.2M
 * events, a fifth of all its CPU, and with 10, 5.5-6.4 (docs/PERFORMANCE.md, pipeline, tenth
 * session). The price is a few more parts between merges (9-13 against 7-12 at the end of those
 * runs), far below the hundreds at which ClickHouse slows inserts. 20 merged no less than 10 and
 * left up to twice the parts. The setting exists since ClickHouse 24.11.
 */
const MERGE_SELECTOR_BASE = "ALTER TABLE events MODIFY SETTING merge_selector_base = 10";

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "events", statements: [CREATE_EVENTS] },
  { version: 2, name: "event_json_zstd1", statements: [EVENT_JSON_ZSTD1] },
  { version: 3, name: "replay_columns", statements: REPLAY_COLUMNS },
  { version: 4, name: "replay_reports", statements: [CREATE_REPLAY_REPORTS] },
  { version: 5, name: "call_profile", statements: [CALL_PROFILE] },
  { version: 6, name: "merge_selector_base", statements: [MERGE_SELECTOR_BASE] },
];

export const CREATE_SCHEMA_MIGRATIONS = `
CREATE TABLE IF NOT EXISTS schema_migrations
(
    version UInt32,
    name String,
    checksum String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version`;
