/** The stdio shell: one agent on this process's stdin/stdout (a client's `mcpServers` entry). */
import { randomUUID } from "node:crypto";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Gateway } from "./gateway.js";

export interface StdioIdentity {
  agent: string;
  grant: string;
}

/** Serves one agent over stdio; resolves when the agent disconnects. */
export async function serveStdio(gateway: Gateway, identity: StdioIdentity): Promise<void> {
  const transport = new StdioServerTransport();
  const session = await gateway.openSession(transport, { id: randomUUID(), ...identity, transport: "stdio" });
  process.stdin.once("end", () => void session.close());
  await session.whenClosed;
}
