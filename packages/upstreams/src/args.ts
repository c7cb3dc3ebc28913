/**
 * Typed reads of tool arguments. The arguments have already passed the tool's inputSchema, so these
 * mostly narrow types; a mismatch means the schema allows something the handler cannot use.
 */

import { invalid } from "./cluster/errors.js";
import type { ToolArguments } from "./validation.js";

export function text(args: ToolArguments, key: string): string {
  const value = args[key];
  if (typeof value !== "string") throw invalid(`argument ${key} must be a string`);
  return value;
}

/** null (the schemas' default for optional arguments), absent and "" all mean "not given". */
export function optionalText(args: ToolArguments, key: string): string | undefined {
  const value = args[key];
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw invalid(`argument ${key} must be a string`);
  return value;
}

export function optionalInteger(args: ToolArguments, key: string): number | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value))
    throw invalid(`argument ${key} must be an integer`);
  return value;
}

export function integer(args: ToolArguments, key: string): number {
  const value = optionalInteger(args, key);
  if (value === undefined) throw invalid(`argument ${key} is required`);
  return value;
}

export function flag(args: ToolArguments, key: string): boolean {
  return args[key] === true;
}

export function optionalObject(args: ToolArguments, key: string): Record<string, unknown> | undefined {
  const value = args[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(`argument ${key} must be an object`);
  return value as Record<string, unknown>;
}

/**
 * Label-like maps. Some schemas allow any value type; values are stringified as kubectl would, and
 * null stays null, meaning "remove this key" (kubectl's `key-`).
 */
export function keyValues(args: ToolArguments, key: string): Record<string, string | null> | undefined {
  const value = optionalObject(args, key);
  if (!value) return undefined;
  return Object.fromEntries(
    Object.entries(value).map(([name, item]) => [name, item === null ? null : String(item)]),
  );
}

export function stringMap(args: ToolArguments, key: string): Record<string, string> {
  const entries = Object.entries(keyValues(args, key) ?? {}).filter(
    (entry): entry is [string, string] => entry[1] !== null,
  );
  return Object.fromEntries(entries);
}
