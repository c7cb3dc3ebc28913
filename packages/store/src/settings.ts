/**
 * Settings sent with every insert. They are explicit even where they restate a server default
 * because the embedded engine applies a query's settings as session `SET`s that outlive the query:
 * a dedup token left over from one batch would silently drop the next, different batch (seen in
 * chDB 3.4). chDB also defaults to `async_insert = 1`; a synchronous insert makes an acknowledged
 * batch durable and readable, which ingest's offset commit relies on.
 *
 * `optimize_on_insert = 0`: by default ClickHouse runs ReplacingMergeTree's merge over every inserted
 * block to drop duplicates inside it, which copies every row (event JSON and all) once more. Every
 * read already uses FINAL, and merges collapse duplicates anyway, so that pass bought nothing; it cost
 * 2–3.5 µs of CPU per event, a sixth of an insert (docs/PERFORMANCE.md, pipeline step 16).
 */
export const INSERT_SETTINGS = {
  async_insert: 0,
  optimize_on_insert: 0,
  insert_deduplicate: 1,
  insert_deduplication_token: "",
} as const;

export type InsertSettings = Omit<typeof INSERT_SETTINGS, "insert_deduplication_token"> & {
  insert_deduplication_token: string;
};

export function insertSettings(deduplicationToken: string | undefined): InsertSettings {
  return { ...INSERT_SETTINGS, insert_deduplication_token: deduplicationToken ?? "" };
}
