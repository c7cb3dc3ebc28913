/** Connecting real SDK clients to the fixture servers, and reading their results. */
import { readFileSync } from "node:fs";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { upstreamCommand } from "../src/index.js";

export interface ToolFile {
  tools: { name: string; description: string; inputSchema: object; outputSchema?: object }[];
}

export function readToolFile(file: string): ToolFile {
  return JSON.parse(readFileSync(new URL(`../data/${file}`, import.meta.url), "utf8")) as ToolFile;
}

export async function connectStdio(kind: "k8s" | "ocm"): Promise<Client> {
  const client = new Client({ name: "upstreams-test", version: "0.0.0" });
  // A different working directory than the repo's proves the command does not depend on it.
  await client.connect(new StdioClientTransport({ ...upstreamCommand(kind), cwd: "/", stderr: "ignore" }));
  return client;
}

/** Calls a tool; the SDK's result union also has a legacy shape these servers never send. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

export function jsonOf<T>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${textOf(result)}`);
  return JSON.parse(textOf(result)) as T;
}
