/** The spool's refusals. Each names the directory, so an operator knows which disk to look at. */

/**
 * The spool holds as many bytes as it may. Thrown (never a silent drop) so the gateway's configured
 * overflow choice, fail closed or fail open, decides what happens to the call.
 */
export class SpoolFullError extends Error {
  override readonly name = "SpoolFullError";

  constructor(
    readonly directory: string,
    readonly limitBytes: number,
    readonly usedBytes: number,
    readonly recordBytes: number,
  ) {
    super(
      `spool ${directory} is full: ${usedBytes} of its ${limitBytes}-byte limit used, ` +
        `a ${recordBytes}-byte record does not fit (is its reader running? or raise the limit)`,
    );
  }
}

/** Another live process holds a lock this process needs (a second reader on the same spool). */
export class SpoolLockedError extends Error {
  override readonly name = "SpoolLockedError";

  constructor(
    readonly lockFile: string,
    readonly holder: string,
  ) {
    super(`${lockFile} is held by ${holder}; one reader per spool`);
  }
}

/** The writer was closed, or a write or fsync failed and the caller must not assume durability. */
export class SpoolClosedError extends Error {
  override readonly name = "SpoolClosedError";

  constructor(readonly directory: string) {
    super(`spool writer in ${directory} is closed`);
  }
}
