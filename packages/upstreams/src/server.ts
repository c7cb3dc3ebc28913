/**
 * The MCP plumbing both fixture servers share, on the SDK's low-level Server: tools/list answers
 * the definitions verbatim; tools/call checks arguments, then runs the tool's handler.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { ClusterError } from "./cluster/errors.js";
import type { SimulatedCluster } from "./cluster.js";
import { errorResult } from "./results.js";
import { ArgumentValidator, type ToolArguments } from "./validation.js";

export interface UpstreamServerOptions {
  /** Share one cluster between servers (or inspect it from a test); each server gets its own otherwise. */
  cluster?: SimulatedCluster;
}

export type ToolHandler = (args: ToolArguments) => CallToolResult;

export interface ToolServerSpec {
  name: string;
  version: string;
  tools: readonly Tool[];
  handlers: Readonly<Record<string, ToolHandler>>;
  /** How a cluster failure is reported; servers whose tools declare an outputSchema shape it to match. */
  failure?: (tool: Tool, message: string) => CallToolResult;
}

export function createToolServer(spec: ToolServerSpec): Server {
  const missing = spec.tools.filter((tool) => !spec.handlers[tool.name]).map((tool) => tool.name);
  if (missing.length > 0) throw new Error(`${spec.name}: no handler for ${missing.join(", ")}`);
  const byName = new Map(spec.tools.map((tool) => [tool.name, tool]));
  const validator = new ArgumentValidator(spec.tools);
  const failure = spec.failure ?? ((_tool: Tool, message: string) => errorResult(message));

  const server = new Server({ name: spec.name, version: spec.version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...spec.tools] }));
  server.setRequestHandler(CallToolRequestSchema, (request) => {
    const { name, arguments: args } = request.params;
    const tool = byName.get(name);
    const handler = spec.handlers[name];
    if (!tool || !handler) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const checked = validator.check(name, args);
    if (!checked.ok) return failure(tool, checked.message);
    try {
      return handler(checked.args);
    } catch (error) {
      // Cluster failures are answers (a real server would relay the API error); anything else is a bug.
      if (error instanceof ClusterError) return failure(tool, error.message);
      throw error;
    }
  });
  return server;
}
