/**
 * The seed servers' tool definitions, read from data/ and served verbatim: the gateway under test
 * must see exactly what the real servers advertise.
 */
import { readFileSync } from "node:fs";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";

const JsonSchemaObject = z.looseObject({ type: z.literal("object") });

const ToolFile = z.object({
  server: z.string(),
  transport: z.string(),
  note: z.string(),
  tools: z.array(
    z.object({
      name: z.string().min(1),
      description: z.string(),
      inputSchema: JsonSchemaObject,
      outputSchema: JsonSchemaObject.optional(),
    }),
  ),
});

function loadTools(file: string): readonly Tool[] {
  const text = readFileSync(new URL(`../data/${file}`, import.meta.url), "utf8");
  const tools = ToolFile.parse(JSON.parse(text)).tools.map((tool) =>
    // Keep the file's key order and leave outputSchema out entirely when the file has none.
    tool.outputSchema === undefined
      ? { name: tool.name, description: tool.description, inputSchema: tool.inputSchema }
      : tool,
  );
  return Object.freeze(tools);
}

export const k8sTools: readonly Tool[] = loadTools("k8s-multicluster-mcp.tools.json");
export const ocmTools: readonly Tool[] = loadTools("ocm-mcp-server.tools.json");
