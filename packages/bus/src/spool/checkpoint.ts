/**
 * The reader's committed position, replaced atomically: written to a temp file, fsync'd, renamed
 * over the old one, directory fsync'd. After a crash the file is the old checkpoint or the new,
 * never a mix, so a restarted reader resumes exactly after the last commit.
 */
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { isErrorCode, syncDirectory } from "./fsutil.js";
import { CHECKPOINT_FILE } from "./layout.js";
import type { SpoolPosition } from "./records.js";
import type { SegmentCursor } from "./segment-reader.js";

const FORMAT = "tollgate.spool.checkpoint/v1";

export async function loadCheckpoint(spool: string): Promise<SpoolPosition> {
  const path = join(spool, CHECKPOINT_FILE);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return { writers: {} };
    throw error;
  }
  return parseCheckpoint(path, text);
}

export async function saveCheckpoint(spool: string, position: SpoolPosition): Promise<void> {
  const path = join(spool, CHECKPOINT_FILE);
  const temp = `${path}.tmp`; // one reader per spool (reader.lock), so one fixed temp name will do
  const handle = await open(temp, "w");
  try {
    await handle.writeFile(JSON.stringify({ format: FORMAT, writers: position.writers }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await syncDirectory(spool);
}

/**
 * Refuses a damaged checkpoint rather than starting over: re-reading the whole spool is a choice
 * for an operator (delete the file), not something to do silently.
 */
function parseCheckpoint(path: string, text: string): SpoolPosition {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`spool checkpoint ${path} is not JSON (${String(error)}); delete it to re-read all`);
  }
  const writers = (value as { format?: unknown; writers?: unknown } | null)?.writers;
  if ((value as { format?: unknown }).format !== FORMAT || !isRecord(writers))
    throw new Error(`spool checkpoint ${path} is not a ${FORMAT} file; delete it to re-read all`);
  for (const [writer, cursor] of Object.entries(writers)) {
    if (!isCursor(cursor)) throw new Error(`spool checkpoint ${path}: bad position for writer ${writer}`);
  }
  return { writers: writers as Record<string, SegmentCursor> };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCursor(value: unknown): value is SegmentCursor {
  if (!isRecord(value)) return false;
  return [value.segment, value.offset, value.seq].every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}
