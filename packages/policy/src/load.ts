/**
 * Loading a policy: text → document → validated schema → compiled rules, collecting every problem
 * with its file, JSON path and line. Pure: reading the file is `readPolicyFile`'s job (file.ts).
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { z } from "zod";
import { type CompiledRules, compileRules } from "./compile.js";
import type { Decidable } from "./decide.js";
import { describeIssues } from "./issues.js";
import { formatPath, type PathSegment } from "./path.js";
import { parsePattern } from "./pattern.js";
import type { PolicyProblem } from "./problems.js";
import { type InvariantDoc, type PolicyDoc, PolicySchema } from "./schema.js";
import { type ParsedSource, parseSource, type SourcePosition } from "./source.js";

export interface CompiledPolicy extends Decidable {
  doc: PolicyDoc;
  /** sha256 of the policy's canonical JSON: the same rules give the same digest, however formatted. */
  digest: string;
  /** Where it came from: a file path, or a label given by the caller. */
  source: string;
  name: string;
  rules: CompiledRules;
  invariants: InvariantDoc[];
  /** Whether tools/list should leave this tool out (a `hide: true` rule matches it). */
  isHidden(server: string | undefined, tool: string): boolean;
}

export type PolicyResult = { ok: true; policy: CompiledPolicy } | { ok: false; problems: PolicyProblem[] };

export interface ParseOptions {
  /** The file name shown in problems. */
  file: string;
  format?: "json" | "yaml";
}

export function parsePolicy(text: string, options: ParseOptions): PolicyResult {
  const format = options.format ?? guessFormat(options.file, text);
  const parsed = parseSource(text, format);
  if (!parsed.ok) {
    return {
      ok: false,
      problems: parsed.problems.map((problem) => ({
        file: options.file,
        path: "",
        ...positionFields(problem.position),
        message: problem.message,
      })),
    };
  }
  return compileDocument(parsed.source, options.file);
}

/** Compiles a policy given as a value (tests, generated policies, the API); problems carry no lines. */
export function compilePolicy(value: unknown, file = "<policy>"): PolicyResult {
  return compileDocument({ value, locate: () => undefined }, file);
}

function compileDocument(source: ParsedSource, file: string): PolicyResult {
  const problem = (path: PathSegment[], message: string, key?: string): PolicyProblem => ({
    file,
    path: formatPath(path),
    ...positionFields(source.locate(key === undefined ? path : path.slice(0, -1), key)),
    message,
  });
  const validated = PolicySchema.safeParse(source.value, { reportInput: true });
  if (!validated.success) {
    const problems = describeIssues(validated.error.issues, knownKeysAt);
    return { ok: false, problems: problems.map((p) => problem(p.path, p.message, p.key)) };
  }
  const doc = validated.data;
  const rules = compileRules(doc);
  if (rules.problems.length > 0) {
    return { ok: false, problems: rules.problems.map((p) => problem(p.path, p.message)) };
  }
  const hideRules = rules.live.rules.filter((rule) => rule.hide);
  return {
    ok: true,
    policy: {
      doc,
      digest: digestOf(doc),
      source: file,
      name: doc.name ?? file,
      rules,
      invariants: doc.invariants ?? [],
      isHidden: (server, tool) => hideRules.some((rule) => rule.pattern.matches(server, tool)),
    },
  };
}

function positionFields(position: SourcePosition | undefined): { line?: number; column?: number } {
  return position === undefined ? {} : { line: position.line, column: position.column };
}

function guessFormat(file: string, text: string): "json" | "yaml" {
  if (/\.json$/i.test(file)) return "json";
  if (/\.ya?ml$/i.test(file)) return "yaml";
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/** RFC 8785 canonical JSON, so that formatting and key order never change a digest. */
export function digestOf(doc: PolicyDoc): string {
  return `sha256:${createHash("sha256")
    .update(canonicalize(doc) ?? "")
    .digest("hex")}`;
}

/** The keys a strict object accepts at a path, for "did you mean" suggestions. */
function knownKeysAt(path: PathSegment[]): string[] {
  let schemas: z.ZodType[] = [PolicySchema];
  for (const segment of path) {
    schemas = schemas.flatMap((schema) => childSchemas(unwrap(schema), segment));
  }
  const keys = schemas.flatMap((schema) => {
    const inner = unwrap(schema);
    return inner instanceof z.ZodObject ? Object.keys(inner.shape) : [];
  });
  return [...new Set(keys)];
}

function unwrap(schema: z.ZodType): z.ZodType {
  return schema instanceof z.ZodOptional ? unwrap(schema.unwrap() as z.ZodType) : schema;
}

function childSchemas(schema: z.ZodType, segment: PathSegment): z.ZodType[] {
  if (schema instanceof z.ZodUnion) {
    return (schema.options as z.ZodType[]).flatMap((option) => childSchemas(unwrap(option), segment));
  }
  if (schema instanceof z.ZodObject && typeof segment === "string") {
    const child = (schema.shape as Record<string, z.ZodType>)[segment];
    return child === undefined ? [] : [child];
  }
  if (schema instanceof z.ZodRecord) return [schema.valueType as z.ZodType];
  if (schema instanceof z.ZodArray) return [schema.element as z.ZodType];
  return [];
}

/** Re-exported for invariants: whether a tool pattern as written covers a tool. */
export function coversTool(pattern: string, server: string | undefined, tool: string): boolean {
  return parsePattern(pattern).matches(server, tool);
}
