/** Parsers for option values: a bad value is a usage error naming it (commander reports it, exit 3). */
import { InvalidArgumentError } from "commander";

export function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return parsed;
}

export function positiveInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 1) throw new InvalidArgumentError(`"${value}" must be at least 1`);
  return parsed;
}

/** `95` or `95%`, from 0 to 100. */
export function percent(value: string): number {
  const parsed = Number(value.replace(/%$/, ""));
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 100) {
    throw new InvalidArgumentError(`"${value}" is not a percentage from 0 to 100`);
  }
  return parsed;
}
