/**
 * @tollgate/store: ClickHouse as the projection of the event log. One API over a ClickHouse server
 * (`{ url }`) or the embedded chDB engine (`{ path }`, one per process), versioned migrations,
 * deduplicating inserts, and the reads ingest, audit and forensics need.
 */
export { activeEnginePath, type StoreTarget } from "./engine.js";
export { EnginePathError, MigrationError, StoreUnavailableError } from "./errors.js";
export type { EventFilter, Outcome } from "./filters.js";
export type { AppliedMigration } from "./migrate.js";
export { CALL_PROFILE_COLUMNS, DEFAULT_RETENTION_DAYS, MIGRATIONS, type Migration } from "./migrations.js";
export type { CompletionStatus, StoredEvent } from "./reads.js";
export type { ReplayReportRecord, ReplayReportSummary } from "./reports.js";
export { RowBuffers } from "./row-buffers.js";
export {
  concatRows,
  type EventInput,
  type EventRows,
  EventRowsWriter,
  eventRows,
  type RawEvent,
} from "./rows.js";
export {
  type BinaryFormat,
  type InsertOptions,
  openStore,
  type Store,
  type StoreOptions,
  storeOptionsFromEnv,
  type TextFormat,
} from "./store.js";
