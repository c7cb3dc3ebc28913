/** How to start a fixture server as a child process speaking MCP over stdio. */
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { UpstreamKind } from "./upstream.js";

export interface UpstreamCommand {
  command: string;
  args: string[];
}

// The source itself: the package runs from TypeScript through tsx, there is no build output.
const BIN = fileURLToPath(new URL("./bin.ts", import.meta.url));

/**
 * tsx is given by absolute URL rather than by name: `--import tsx` resolves from the child's
 * working directory, which the gateway (or a test) may well have set elsewhere.
 */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;
}

export function upstreamCommand(kind: UpstreamKind): UpstreamCommand {
  return { command: process.execPath, args: ["--import", tsxLoader(), BIN, kind] };
}
