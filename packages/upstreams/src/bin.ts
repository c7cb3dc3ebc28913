/**
 * Runs one fixture server: `tsx src/bin.ts k8s|ocm [--http PORT]`. Over stdio, stdout carries
 * JSON-RPC only, so every diagnostic goes to stderr.
 */
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { serveHttp } from "./http.js";
import { createUpstreamServer, isUpstreamKind, UPSTREAM_KINDS } from "./upstream.js";

// A stray console.log from any module would corrupt the stdio protocol stream.
console.log = console.error;
console.info = console.error;

function fail(message: string): never {
  process.stderr.write(`${message}\nusage: bin.ts ${UPSTREAM_KINDS.join("|")} [--http PORT]\n`);
  process.exit(2);
}

async function main(argv: string[]): Promise<void> {
  const [kind, flag, portText] = argv;
  if (!isUpstreamKind(kind)) fail(`unknown upstream kind: ${kind ?? "(none)"}`);
  if (flag === undefined) {
    await createUpstreamServer(kind).connect(new StdioServerTransport());
    process.stderr.write(`upstream ${kind}: serving MCP on stdio\n`);
    return;
  }
  const port = Number(portText);
  if (flag !== "--http" || !Number.isInteger(port) || port < 0 || port > 65535)
    fail(`bad arguments: ${argv.join(" ")}`);
  const upstream = await serveHttp(kind, { port });
  process.stderr.write(`upstream ${kind}: serving MCP on ${upstream.url}\n`);
  const stop = () => void upstream.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `upstream: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
