/** kubectl label / annotate semantics: null removes a key; changing a value needs --overwrite. */
import { invalid } from "./errors.js";
import type { StringMap } from "./model.js";

export function changeKeys(
  current: StringMap,
  changes: Record<string, string | null>,
  overwrite: boolean,
): boolean {
  for (const [key, value] of Object.entries(changes)) {
    const existing = current[key];
    if (value !== null && existing !== undefined && existing !== value && !overwrite) {
      throw invalid(`'${key}' already has a value (${existing}), and --overwrite is false`);
    }
  }
  let changed = false;
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) {
      changed = changed || key in current;
      delete current[key];
    } else {
      changed = changed || current[key] !== value;
      current[key] = value;
    }
  }
  return changed;
}
