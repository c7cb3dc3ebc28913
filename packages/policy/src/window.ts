/**
 * Rate-limit windows. A window is written as a unit name (`second`, `minute`, `hour`, `day`),
 * a number of seconds (`60`, as PolicyLayer's FAQ writes it) or a duration string (`90s`, `5m`, `2h`, `1d`).
 * Internally every window is a whole number of milliseconds.
 */
const NAMED: Record<string, number> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** The longest window accepted: a window is also how long limiter memory is kept. */
export const MAX_WINDOW_MS = 31 * NAMED.day!;

export type WindowParse = { ok: true; ms: number } | { ok: false; message: string };

export function parseWindow(value: unknown): WindowParse {
  if (typeof value === "number") {
    return fromMilliseconds(value * 1_000, `${value} seconds`);
  }
  if (typeof value !== "string") {
    return { ok: false, message: describeWindowProblem(value) };
  }
  const named = NAMED[value];
  if (named !== undefined) {
    return { ok: true, ms: named };
  }
  const match = DURATION.exec(value.trim());
  if (match) {
    return fromMilliseconds(Number(match[1]) * UNIT[match[2]!]!, value);
  }
  return { ok: false, message: describeWindowProblem(value) };
}

function fromMilliseconds(ms: number, written: string): WindowParse {
  if (!Number.isFinite(ms) || ms < 1 || !Number.isInteger(ms)) {
    return { ok: false, message: `the window ${written} must be a whole number of milliseconds, at least 1` };
  }
  if (ms > MAX_WINDOW_MS) {
    return { ok: false, message: `the window ${written} is longer than the longest allowed (31 days)` };
  }
  return { ok: true, ms };
}

function describeWindowProblem(value: unknown): string {
  return `window ${JSON.stringify(value)} is not a window: write second, minute, hour, day, a number of seconds, or a duration such as 90s, 5m, 2h`;
}

/** A short human form of a window in milliseconds: 60000 → "minute", 90000 → "90s". */
const NAME_OF = new Map(Object.entries(NAMED).map(([name, ms]) => [ms, name]));

export function describeWindow(ms: number): string {
  const name = NAME_OF.get(ms);
  if (name !== undefined) return name;
  if (ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}
