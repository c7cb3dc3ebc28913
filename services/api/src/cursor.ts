/**
 * Keyset pagination: a page ends with a cursor holding the sort key of its last row, and the next
 * page starts strictly after it. Unlike an offset, rows arriving meanwhile neither repeat nor skip
 * what was already listed. The cursor is opaque to clients (base64url JSON) and tagged with the
 * list it belongs to, so a cursor from one list is refused by another.
 */
import { badInput } from "./errors.js";

export type CursorKey = readonly (string | number)[];

export function encodeCursor(list: string, key: CursorKey): string {
  return Buffer.from(JSON.stringify([list, ...key]), "utf8").toString("base64url");
}

/** The key in a cursor for `list`, whose parts must have the given types. */
export function decodeCursor(
  list: string,
  cursor: string | undefined,
  shape: readonly ("string" | "number" | "uuid")[],
): CursorKey | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed[0] !== list ||
    parsed.length !== shape.length + 1 ||
    !shape.every((type, i) => fits(parsed[i + 1], type))
  ) {
    throw badInput(
      "cursor",
      `cursor is not a cursor of this ${list} list: pass back nextCursor as it was given`,
    );
  }
  return parsed.slice(1) as CursorKey;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fits(value: unknown, type: "string" | "number" | "uuid"): boolean {
  if (type === "uuid") return typeof value === "string" && UUID.test(value);
  if (type === "number") return typeof value === "number" && Number.isSafeInteger(value);
  return typeof value === "string";
}

/** A page of rows: ask for one more than the limit, to know whether there is a next page. */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey, list: string) {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page.at(-1);
  return {
    page,
    nextCursor: more && last !== undefined ? encodeCursor(list, keyOf(last)) : undefined,
  };
}
