import { spawn } from "node:child_process";
import { describe, expect, test } from "vitest";
import { upstreamCommand } from "../src/index.js";

/** Starts a server process, sends raw JSON-RPC lines, and returns stdout once `expected` responses arrived. */
async function exchange(kind: "k8s" | "ocm", messages: object[], expected: number): Promise<string[]> {
  const { command, args } = upstreamCommand(kind);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "ignore"] });
  let stdout = "";
  const lines = await new Promise<string[]>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`server exited early with ${code}`)));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      const complete = stdout.split("\n").filter((line) => line.trim() !== "");
      if (complete.length >= expected && stdout.endsWith("\n")) resolve(complete);
    });
    for (const message of messages) child.stdin.write(`${JSON.stringify(message)}\n`);
  });
  child.removeAllListeners("exit");
  child.kill();
  return lines;
}

describe("stdio mode", () => {
  test.each(["k8s", "ocm"] as const)("%s writes nothing but JSON-RPC to stdout", async (kind) => {
    const lines = await exchange(
      kind,
      [
        {
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: {
            protocolVersion: "2025-06-18",
            capabilities: {},
            clientInfo: { name: "raw", version: "0" },
          },
        },
        { jsonrpc: "2.0", method: "notifications/initialized" },
        { jsonrpc: "2.0", id: 2, method: "tools/list" },
      ],
      2,
    );
    const messages = lines.map(
      (line) => JSON.parse(line) as { jsonrpc: string; id: number; result?: unknown },
    );
    expect(messages.every((message) => message.jsonrpc === "2.0")).toBe(true);
    expect(messages.map((message) => message.id)).toEqual([1, 2]);
    expect(messages.every((message) => message.result !== undefined)).toBe(true);
  });
});
