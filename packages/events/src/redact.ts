/**
 * Redaction: secrets in tool arguments are replaced before an event leaves the gateway.
 * Two kinds of rule: a key rule replaces the whole value of a matching key (`password`, `token`, …);
 * a value rule replaces only the matching part of a string (a bearer token inside a command), so
 * the rest of the command stays readable for an investigator.
 */
export interface RedactionRules {
  /** Regular expressions (case-insensitive) for object keys whose values are secret. */
  keys: string[];
  /** Regular expressions for secret substrings of any string value. */
  values: string[];
  replacement?: string;
}

export const DEFAULT_REDACTION: RedactionRules = {
  keys: [
    "pass(word|wd)?$",
    "secret",
    "token",
    "api[-_]?key",
    "authorization",
    "credential",
    "private[-_]?key",
    "cookie",
    "kubeconfig",
  ],
  values: [
    "Bearer\\s+[A-Za-z0-9._~+/-]+=*",
    "\\bAKIA[0-9A-Z]{16}\\b",
    "\\beyJ[\\w-]+\\.[\\w-]+\\.[\\w-]+",
    "-----BEGIN [A-Z ]*PRIVATE KEY-----[\\s\\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    "\\bgh[pousr]_[A-Za-z0-9]{36,}\\b",
    "(?<=\\b(?:password|passwd|pwd|token|secret|api[-_]?key)=)[^\\s'\"&]+",
  ],
  replacement: "[REDACTED]",
};

export interface Redacted {
  value: unknown;
  /** JSON paths of what was redacted, e.g. `env.API_TOKEN`, `command`. */
  paths: string[];
}

export type Redactor = (value: unknown) => Redacted;

export function createRedactor(rules: RedactionRules = DEFAULT_REDACTION): Redactor {
  const keyPatterns = rules.keys.map((source) => compile(source, "iu", "keys"));
  const valuePatterns = rules.values.map((source) => compile(source, "gu", "values"));
  const replacement = rules.replacement ?? "[REDACTED]";
  const isSecretKey = (key: string) => keyPatterns.some((pattern) => pattern.test(key));

  const redactString = (text: string): string =>
    valuePatterns.reduce((current, pattern) => current.replace(pattern, replacement), text);

  const walk = (value: unknown, path: string, paths: string[]): unknown => {
    if (typeof value === "string") {
      const cleaned = redactString(value);
      if (cleaned !== value) paths.push(path || "(value)");
      return cleaned;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, `${path}[${index}]`, paths));
    if (value !== null && typeof value === "object") {
      const result: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const childPath = path === "" ? key : `${path}.${key}`;
        if (isSecretKey(key) && item !== null && item !== undefined && item !== "") {
          result[key] = replacement;
          paths.push(childPath);
        } else {
          result[key] = walk(item, childPath, paths);
        }
      }
      return result;
    }
    return value;
  };

  return (value) => {
    const paths: string[] = [];
    return { value: walk(value, "", paths), paths };
  };
}

function compile(source: string, flags: string, where: string): RegExp {
  try {
    return new RegExp(source, flags);
  } catch (error) {
    throw new Error(`redaction rule in ${where} does not compile: /${source}/ (${String(error)})`);
  }
}
