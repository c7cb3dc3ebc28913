/**
 * Space reclamation after a commit. A segment older than a writer's committed cursor is fully
 * consumed and goes, even while its writer lives (a writer never touches a segment it has rolled
 * past). A writer that is finished (closed, or its process dead) and fully consumed goes whole.
 */
import { rm, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { segmentFileName } from "./format.js";
import { isErrorCode } from "./fsutil.js";
import {
  listSegments,
  listUnfinishedWriters,
  listWriters,
  WRITER_LOCK,
  writerDirectory,
  writersRoot,
} from "./layout.js";
import { lockLiveness } from "./locks.js";
import type { SpoolPosition } from "./records.js";
import type { SegmentCursor } from "./segment-reader.js";

/** A writer directory whose preparation never finished is left this long before it counts as abandoned. */
const UNFINISHED_GRACE_MS = 60_000;

/** Deletes what `position` has consumed; returns the writers removed whole. */
export async function reclaim(spool: string, position: SpoolPosition): Promise<string[]> {
  const removed: string[] = [];
  for (const writer of await listWriters(spool)) {
    const cursor = position.writers[writer];
    if (cursor === undefined) continue;
    if (await reclaimWriter(writerDirectory(spool, writer), cursor)) removed.push(writer);
  }
  await removeAbandonedPreparations(spool);
  return removed;
}

async function reclaimWriter(directory: string, cursor: SegmentCursor): Promise<boolean> {
  // Liveness before listing: a writer finished by now adds no segment the listing could miss.
  const liveness = await lockLiveness(join(directory, WRITER_LOCK));
  const segments = await listSegments(directory);
  if (liveness !== "live" && (await fullyConsumed(directory, segments, cursor))) {
    await rm(directory, { recursive: true, force: true });
    return true;
  }
  for (const segment of segments.filter((first) => first < cursor.segment)) {
    await unlink(join(directory, segmentFileName(segment))).catch(ignoreMissing);
  }
  return false;
}

async function fullyConsumed(directory: string, segments: number[], cursor: SegmentCursor): Promise<boolean> {
  const last = segments.at(-1);
  if (last === undefined || last < cursor.segment) return true;
  if (last > cursor.segment) return false;
  const { size } = await stat(join(directory, segmentFileName(last)));
  return cursor.offset >= size;
}

async function removeAbandonedPreparations(spool: string): Promise<void> {
  for (const name of await listUnfinishedWriters(spool)) {
    const directory = join(writersRoot(spool), name);
    const liveness = await lockLiveness(join(directory, WRITER_LOCK)).catch(() => "live" as const);
    const age = await stat(directory).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (liveness === "stale" || (liveness === "closed" && age > UNFINISHED_GRACE_MS))
      await rm(directory, { recursive: true, force: true });
  }
}

function ignoreMissing(error: unknown): void {
  if (!isErrorCode(error, "ENOENT")) throw error;
}
