/**
 * Files chDB reads an insert's rows from. chDB takes inline rows only in text formats (its
 * `rawInsert` refuses RowBinary), but its `file()` table function reads any format, so each insert
 * writes its payload to a file of its own and ClickHouse reads it from there.
 *
 * The directory is private (mode 0700, a fresh `mkdtemp` per store, made at the first insert and
 * removed at close), and a file is written once under a name never used again, created exclusively
 * and removed when its insert ends, succeeded or not: no insert can read another's rows, or a
 * stale file a failed one left behind. A process that dies mid-insert leaves its directory (and at
 * most a few batches' rows) behind: directories are named after their process, and a store making
 * its own removes those of processes no longer running.
 */
import { lstat, mkdtemp, open, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { StoreUnavailableError } from "./errors.js";

/** `file()` reads these characters as a glob, which would match other files or none. */
const GLOB_CHARACTERS = /[*?{}]/;

export class StagingFiles {
  private directory: Promise<string> | undefined;
  private written = 0;
  private removed = false;

  constructor(private readonly parent: string = tmpdir()) {}

  /**
   * Writes `parts`, one after the other, to a new file, gives its path to `use`, and removes it
   * once `use` settles.
   */
  async withFile<T>(parts: readonly Uint8Array[], use: (path: string) => Promise<T>): Promise<T> {
    const opened = this.openDirectory();
    const directory = await opened;
    this.written += 1;
    const path = join(directory, `rows-${this.written}.bin`);
    let result: T;
    try {
      await writeWhole(path, parts).catch((error: unknown) => {
        // The directory was removed behind the store's back (a temp cleaner, after a long idle
        // spell): this insert fails, and the next one (ingest retries) makes a new directory.
        if (isNotFound(error) && this.directory === opened) this.directory = undefined;
        throw error;
      });
      result = await use(path);
    } catch (error) {
      // The insert's own error is the one to report; the file goes either way.
      await rm(path, { force: true }).catch(() => undefined);
      throw error;
    }
    await rm(path, { force: true });
    return result;
  }

  /** Removes the directory and whatever is in it; later inserts are refused. */
  async remove(): Promise<void> {
    this.removed = true;
    const directory = this.directory;
    if (directory === undefined) return;
    const path = await directory.catch(() => undefined);
    if (path !== undefined) await rm(path, { recursive: true, force: true });
  }

  private openDirectory(): Promise<string> {
    if (this.removed)
      return Promise.reject(new StoreUnavailableError("the store's staging files are removed"));
    this.directory ??= makeDirectory(this.parent).catch((error: unknown) => {
      this.directory = undefined; // the next insert tries again
      throw error;
    });
    return this.directory;
  }
}

/**
 * A new file (exclusive, 0600) holding `parts`, written in one request (`writev`). fs's `writeFile`
 * writes in chunks of 512 KiB, each a turn of the event loop: an insert of 22,000 events (about
 * 31 MB) took 62 turns, and with ingest's JavaScript thread parsing a Kafka fetch for 0.5–1 s at a
 * time, writing the file took up to 1.2 s before ClickHouse could start on it (docs/PERFORMANCE.md,
 * pipeline, tenth session).
 */
async function writeWhole(path: string, parts: readonly Uint8Array[]): Promise<void> {
  const file = await open(path, "wx", 0o600);
  try {
    // One request takes every part, but the kernel may write less (a full disk, a signal).
    let left = parts.filter((part) => part.byteLength > 0);
    let at = 0;
    while (left.length > 0) {
      const { bytesWritten } = await file.writev(left);
      if (bytesWritten === 0) throw new Error(`writing ${path}: the disk took no bytes at ${at}`);
      at += bytesWritten;
      left = partsAfter(left, bytesWritten);
    }
  } finally {
    await file.close();
  }
}

/** What is left of `parts` once their first `written` bytes are written (exported for its test). */
export function partsAfter(parts: readonly Uint8Array[], written: number): Uint8Array[] {
  let skip = written;
  let index = 0;
  while (index < parts.length && skip >= (parts[index] as Uint8Array).byteLength) {
    skip -= (parts[index] as Uint8Array).byteLength;
    index += 1;
  }
  const rest = parts.slice(index);
  if (rest.length > 0 && skip > 0) rest[0] = (rest[0] as Uint8Array).subarray(skip);
  return rest;
}

const DIRECTORY_PREFIX = "tollgate-insert-";
/** `tollgate-insert-<pid>-<mkdtemp's six characters>`. */
const DIRECTORY_NAME = /^tollgate-insert-(\d+)-[A-Za-z0-9]{6}$/;

async function makeDirectory(parent: string): Promise<string> {
  const prefix = join(resolve(parent), `${DIRECTORY_PREFIX}${process.pid}-`);
  if (GLOB_CHARACTERS.test(prefix)) {
    throw new StoreUnavailableError(
      `the temp directory '${parent}' holds one of the characters * ? { }, which ClickHouse's file() ` +
        "reads as a glob: set TMPDIR to a path without them",
    );
  }
  await removeLeftovers(resolve(parent));
  // mkdtemp creates the directory with mode 0700.
  return mkdtemp(prefix);
}

/**
 * Removes the staging directories of processes that are gone (killed mid-insert): only real
 * directories (never a link), owned by this user, named for a process that no longer runs. A
 * process that reused such a number keeps the directory until it ends; nothing reads it anyway.
 * Best effort: a directory that cannot be read or removed is left as it is.
 */
async function removeLeftovers(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => []);
  for (const name of names) {
    const pid = Number(DIRECTORY_NAME.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(pid) || pid === process.pid || isRunning(pid)) continue;
    const path = join(parent, name);
    const stats = await lstat(path).catch(() => undefined);
    if (stats === undefined || !stats.isDirectory() || stats.uid !== process.getuid?.()) continue;
    await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
}
