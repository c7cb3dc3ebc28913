/** Exit codes are part of tollgate's interface: CI gates and scripts rely on them. */
export const ExitCode = {
  ok: 0,
  /** An invariant was violated, or a threshold breached. */
  failed: 1,
  /** The input (a policy) is invalid. */
  invalidInput: 2,
  /** The command line itself is wrong. */
  usage: 3,
} as const;

/** A mistake on the command line or in what it names (a missing variable, a bad address): exit 3. */
export class UsageError extends Error {}
