/**
 * The web UI: static HTML, CSS and ES modules from services/api/ui, served at `/` (the page) and
 * `/ui/…` (its assets). No build step and no server-side rendering: the page reads /api/v1 with the
 * token the user signs in with. Files are read once at start-up into memory; a request only ever
 * looks a path up in that table, so no request can reach the file system.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

export const UI_DIRECTORY = fileURLToPath(new URL("../ui/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * The page may talk only to its own origin. Inline styles are allowed for the replay report, which
 * is shown in a sandboxed srcdoc frame (it inherits this policy) and styles itself inline; no
 * script runs there (the frame's sandbox has no allow-scripts).
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

export interface UiOptions {
  /** Where the UI's files are (default: services/api/ui). */
  directory?: string;
}

/** A fastify plugin: `app.register(uiRoutes)`. */
export async function uiRoutes(app: FastifyInstance, options: UiOptions = {}): Promise<void> {
  const assets = await loadAssets(options.directory ?? UI_DIRECTORY);
  const page = assets.get("index.html");
  if (page === undefined) throw new Error(`the UI has no index.html in ${options.directory ?? UI_DIRECTORY}`);
  app.get("/", async (request, reply) => send(request, reply, page));
  app.get<{ Params: { "*": string } }>("/ui/*", async (request, reply) => {
    const asset = assets.get(request.params["*"]);
    if (asset === undefined) return reply.code(404).send({ error: "not_found", message: "no such UI file" });
    return send(request, reply, asset);
  });
}

async function loadAssets(directory: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  for (const entry of entries) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    const body = await readFile(path);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(relative(directory, path).split(sep).join("/"), { body, type, etag });
  }
  return assets;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset) {
  reply
    .header("content-type", asset.type)
    .header("etag", asset.etag)
    // Revalidate every time (cheap with the ETag): a new version shows on the next load.
    .header("cache-control", "no-cache")
    .header("x-content-type-options", "nosniff")
    .header("referrer-policy", "no-referrer");
  if (asset.type.startsWith("text/html")) reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
  if (request.headers["if-none-match"] === asset.etag) return reply.code(304).send();
  return reply.send(asset.body);
}
