/** The replayed window from the command line: `--since 7d`, or `--from T --to T` (ISO 8601 or epoch ms). */
import { UsageError } from "../exit-codes.js";

export interface ReplayWindowOptions {
  since?: string;
  from?: string;
  to?: string;
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/;
export const DEFAULT_SINCE = "7d";

export function windowOf(options: ReplayWindowOptions, now: number): { from: number; to: number } {
  if (options.since !== undefined && (options.from !== undefined || options.to !== undefined)) {
    throw new UsageError("give either --since or --from/--to, not both");
  }
  if (options.from !== undefined || options.to !== undefined) {
    const from = options.from === undefined ? undefined : timeOf(options.from, "--from");
    if (from === undefined) throw new UsageError("--to needs --from");
    const to = options.to === undefined ? now : timeOf(options.to, "--to");
    if (to <= from)
      throw new UsageError(
        `--to (${new Date(to).toISOString()}) must be after --from (${new Date(from).toISOString()})`,
      );
    return { from, to };
  }
  return { from: now - durationOf(options.since ?? DEFAULT_SINCE), to: now };
}

export function durationOf(text: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null)
    throw new UsageError(`--since "${text}" is not a duration: write e.g. 90m, 24h, 7d or 2w`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

function timeOf(text: string, option: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(value)) {
    throw new UsageError(
      `${option} "${text}" is not a time: write ISO 8601 (2026-11-14T00:00:00Z) or epoch milliseconds`,
    );
  }
  return value;
}
