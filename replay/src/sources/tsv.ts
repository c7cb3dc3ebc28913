/** ClickHouse's TabSeparated escaping, undone: only fields with a backslash need the slow path. */
const ESCAPES: Record<string, string> = {
  b: "\b",
  f: "\f",
  r: "\r",
  n: "\n",
  t: "\t",
  "0": "\0",
  "'": "'",
  "\\": "\\",
};

export function unescapeField(field: string): string {
  if (!field.includes("\\")) return field;
  let out = "";
  for (let index = 0; index < field.length; index += 1) {
    const char = field[index];
    if (char !== "\\" || index + 1 >= field.length) {
      out += char;
      continue;
    }
    const next = field[index + 1] as string;
    out += ESCAPES[next] ?? next;
    index += 1;
  }
  return out;
}
