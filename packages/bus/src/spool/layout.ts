/**
 * Where things live in a spool directory:
 *
 *   <spool>/writers/<writer-id>/writer.lock      held while the writing process lives
 *   <spool>/writers/<writer-id>/<first-seq>.seg  that writer's segments, oldest first
 *   <spool>/reader.lock                          held by the one reading process
 *   <spool>/checkpoint.json                      the reader's last committed position
 *
 * Each writer (one per process) appends only to its own directory, so concurrent processes never
 * interleave bytes and need no shared lock. A writer directory is prepared under a dot-name and
 * renamed into place, so a reader never sees one without its lock.
 */
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { segmentFirstSeq } from "./format.js";
import { isErrorCode } from "./fsutil.js";

export const WRITER_LOCK = "writer.lock";
export const READER_LOCK = "reader.lock";
export const CHECKPOINT_FILE = "checkpoint.json";

export function writersRoot(spool: string): string {
  return join(spool, "writers");
}

export function writerDirectory(spool: string, writerId: string): string {
  return join(writersRoot(spool), writerId);
}

/** Writer ids in the spool, sorted; directories still being prepared (dot-names) are left out. */
export async function listWriters(spool: string): Promise<string[]> {
  return (await directoryNames(writersRoot(spool))).filter((name) => !name.startsWith(".")).sort();
}

/** Writer directories whose preparation never finished (the process died before the rename). */
export async function listUnfinishedWriters(spool: string): Promise<string[]> {
  return (await directoryNames(writersRoot(spool))).filter((name) => name.startsWith("."));
}

/** First sequence numbers of a writer's segments, ascending. */
export async function listSegments(writerDir: string): Promise<number[]> {
  const names = await readdir(writerDir).catch((error: unknown) => {
    if (isErrorCode(error, "ENOENT")) return [];
    throw error;
  });
  return names
    .map(segmentFirstSeq)
    .filter((seq): seq is number => seq !== undefined)
    .sort((a, b) => a - b);
}

/** Bytes held by all writers' segments: what the size limit is measured against. */
export async function spoolBytes(spool: string): Promise<number> {
  let total = 0;
  for (const writer of await listWriters(spool)) {
    const dir = writerDirectory(spool, writer);
    for (const name of await readdir(dir).catch(() => [])) {
      if (segmentFirstSeq(name) === undefined) continue;
      total += await stat(join(dir, name)).then(
        (info) => info.size,
        () => 0, // reclaimed between listing and stat
      );
    }
  }
  return total;
}

async function directoryNames(path: string): Promise<string[]> {
  try {
    const entries = await readdir(path, { withFileTypes: true });
    return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return [];
    throw error;
  }
}
