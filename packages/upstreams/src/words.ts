/**
 * Splits a command line into words the way a POSIX shell would quote them, without ever running a
 * shell: quotes group words, backslashes escape, nothing is expanded.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let current = "";
  let started = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < line.length; index++) {
    const char = line.charAt(index);
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === "\\" && quote === '"' && index + 1 < line.length) current += line.charAt(++index);
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      started = true;
    } else if (char === "\\" && index + 1 < line.length) {
      current += line.charAt(++index);
      started = true;
    } else if (/\s/.test(char)) {
      if (started) words.push(current);
      current = "";
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (started) words.push(current);
  return words;
}
