/**
 * Lock files that say which process owns something. A lock is created whole (written to a temp
 * name, then hard-linked into place, which fails if the name exists), so nobody ever reads a
 * half-written one. A lock whose process is gone is stale: its owner crashed.
 */
import { randomBytes } from "node:crypto";
import { link, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { isErrorCode } from "./fsutil.js";

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
}

export function describeOwner(owner: LockOwner): string {
  return `pid ${owner.pid} on ${owner.hostname} (since ${owner.startedAt})`;
}

/** Creates the lock or throws an EEXIST error when someone holds it. */
export async function createLock(path: string): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const owner: LockOwner = { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString() };
  const handle = await open(temp, "wx");
  try {
    await handle.writeFile(JSON.stringify(owner));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } finally {
    await unlink(temp);
  }
}

export async function readLockOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LockOwner;
  } catch (error) {
    if (isErrorCode(error, "ENOENT")) return undefined;
    throw error;
  }
}

/**
 * Whether the owner still runs. A process on another host cannot be checked, so it counts as
 * alive (the safe side: its files are kept). A reused pid also looks alive; that only delays
 * reclaiming the dead writer's space until the unrelated process exits.
 */
export function ownerIsAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return !isErrorCode(error, "ESRCH");
  }
}

export type Liveness = "live" | "closed" | "stale";

/** Live: the lock's process runs. Closed: no lock (released on close). Stale: its process died. */
export async function lockLiveness(path: string): Promise<Liveness> {
  const owner = await readLockOwner(path);
  if (owner === undefined) return "closed";
  return ownerIsAlive(owner) ? "live" : "stale";
}

export async function releaseLock(path: string): Promise<void> {
  await unlink(path).catch((error: unknown) => {
    if (!isErrorCode(error, "ENOENT")) throw error;
  });
}
