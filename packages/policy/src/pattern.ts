/**
 * Tool patterns. A rule's key names the tools it covers:
 * - `k8s_pod_exec`: one tool, on any upstream server;
 * - `k8s_get_*`: a glob (`*` any run of characters, `?` one character);
 * - `ocm:kube_executor` or `ocm:*`: server-qualified, for a gateway that fronts several servers.
 * `:` separates the server because MCP tool names may contain `/` and `.` (SEP-986) but never `:`.
 */
export interface ToolPattern {
  /** The key as written in the policy. */
  source: string;
  server: string | undefined;
  tool: string;
  isGlob: boolean;
  matches(server: string | undefined, tool: string): boolean;
  /** Higher is more specific; used to pick which rule a decision names, never to change an outcome. */
  specificity: number;
}

const GLOB_CHARS = /[*?]/;
export const SERVER_SEPARATOR = ":";

export function parsePattern(source: string): ToolPattern {
  const slash = source.indexOf(SERVER_SEPARATOR);
  const server = slash >= 0 ? source.slice(0, slash) : undefined;
  const tool = slash >= 0 ? source.slice(slash + 1) : source;
  const serverMatcher = server === undefined ? undefined : globMatcher(server);
  const toolMatcher = globMatcher(tool);
  const isGlob = GLOB_CHARS.test(source);
  return {
    source,
    server,
    tool,
    isGlob,
    matches(callServer, callTool) {
      if (serverMatcher !== undefined) {
        if (callServer === undefined || !serverMatcher(callServer)) return false;
      }
      return toolMatcher(callTool);
    },
    specificity: specificityOf(server, tool, isGlob),
  };
}

/** Exact beats glob, qualified beats unqualified, then the longer literal part wins. */
function specificityOf(server: string | undefined, tool: string, isGlob: boolean): number {
  const literal = (server ?? "").replace(/[*?]/g, "").length + tool.replace(/[*?]/g, "").length;
  return (isGlob ? 0 : 2_000_000) + (server === undefined ? 0 : 1_000_000) + literal;
}

function globMatcher(glob: string): (value: string) => boolean {
  if (!GLOB_CHARS.test(glob)) {
    return (value) => value === glob;
  }
  const body = glob
    .split("")
    .map((ch) => {
      if (ch === "*") return ".*";
      if (ch === "?") return ".";
      return ch.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
    })
    .join("");
  // "u": `?` is one character, not one UTF-16 code unit ("t_?ead" matches "t_😀ead").
  const regex = new RegExp(`^${body}$`, "su");
  return (value) => regex.test(value);
}

/** Whether a glob pattern (as written in a policy) matches a name; used for invariants and reports too. */
export function patternMatches(pattern: string, server: string | undefined, tool: string): boolean {
  return parsePattern(pattern).matches(server, tool);
}
