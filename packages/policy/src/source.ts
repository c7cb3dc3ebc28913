/**
 * Reads a policy's text (JSON or YAML) into a plain value, keeping a map from JSON paths back to
 * lines so that every problem can say where it is. JSON is read by the YAML parser too (YAML 1.2 is a
 * superset of JSON), which also catches duplicate keys that JSON.parse would silently collapse.
 */
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { PathSegment } from "./path.js";

export interface SourcePosition {
  line: number;
  column: number;
}

export interface ParsedSource {
  value: unknown;
  /** Where the value at `path` (or, with `key`, that key of the object at `path`) starts. */
  locate(path: readonly PathSegment[], key?: string): SourcePosition | undefined;
}

export interface SyntaxProblem {
  message: string;
  position: SourcePosition | undefined;
}

export type SourceResult = { ok: true; source: ParsedSource } | { ok: false; problems: SyntaxProblem[] };

export function parseSource(text: string, format: "json" | "yaml"): SourceResult {
  if (format === "json") {
    const jsonProblem = checkJsonSyntax(text);
    if (jsonProblem !== undefined) return { ok: false, problems: [jsonProblem] };
  }
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  if (document.errors.length > 0) {
    return {
      ok: false,
      problems: document.errors.map((error) => ({
        message: error.message.split("\n")[0] ?? error.message,
        position: toPosition(lineCounter, error.pos[0]),
      })),
    };
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  return {
    ok: true,
    source: {
      value,
      locate(path, key) {
        // A missing key has no node of its own: point at the closest object that does exist.
        let depth = path.length;
        while (depth > 0 && !document.hasIn(path.slice(0, depth) as PathSegment[])) depth -= 1;
        const node =
          depth === 0 ? document.contents : document.getIn(path.slice(0, depth) as PathSegment[], true);
        if (key !== undefined && isMap(node)) {
          const pair = node.items.find((item) => isScalar(item.key) && item.key.value === key);
          const keyNode = pair?.key;
          if (isScalar(keyNode) && keyNode.range) return toPosition(lineCounter, keyNode.range[0]);
        }
        const range = (node as { range?: [number, number, number] } | undefined)?.range;
        return range === undefined ? undefined : toPosition(lineCounter, range[0]);
      },
    },
  };
}

function toPosition(lineCounter: LineCounter, offset: number): SourcePosition {
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

/** JSON's own parser gives the precise message for JSON syntax ("Unexpected token } ..."). */
function checkJsonSyntax(text: string): SyntaxProblem | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const match = /position (\d+)/.exec(message);
    const position = match ? positionOfOffset(text, Number(match[1])) : undefined;
    return { message: `not valid JSON: ${message}`, position };
  }
}

function positionOfOffset(text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column };
}
