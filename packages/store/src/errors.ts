/** Errors a caller may want to tell apart: each names what failed and what to do about it. */

/** ClickHouse (server or embedded engine) did not answer, or the store was closed. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
}

/** A migration failed; later migrations were not attempted. */
export class MigrationError extends Error {
  override readonly name = "MigrationError";
  constructor(
    readonly version: number,
    readonly migration: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A second, different chDB path was opened in a process that already has one. */
export class EnginePathError extends Error {
  override readonly name = "EnginePathError";
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
