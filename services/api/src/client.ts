/**
 * One way to ask the API, wherever it is: over HTTP to a running API, or in this process against a
 * store opened here (fastify's inject: no socket, same routes, same validation, same answers).
 */
import { randomBytes } from "node:crypto";
import type { Store } from "@tollgate/store";
import { API_PREFIX, createApi } from "./app.js";
import { sha256Hex } from "./auth.js";

export interface ApiReply {
  status: number;
  body: unknown;
}

export interface ApiClient {
  /** Where the answers come from, for messages. */
  readonly where: string;
  /** `path` is under /api/v1, e.g. `/calls?agent=x`. */
  request(method: "GET" | "POST", path: string, body?: unknown): Promise<ApiReply>;
  close(): Promise<void>;
}

/** A running API at `url` (its base, e.g. http://127.0.0.1:8788). */
export function remoteApi(url: string, token: string): ApiClient {
  const base = url.replace(/\/+$/, "").replace(/\/api\/v1$/, "");
  return {
    where: base,
    async request(method, path, body) {
      const response = await fetch(`${base}${API_PREFIX}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: parse(text) };
    },
    async close() {},
  };
}

/** The API in this process over `store`, with a token made for this client alone. */
export async function inProcessApi(store: Store, where: string): Promise<ApiClient> {
  const token = randomBytes(24).toString("base64url");
  const app = await createApi({
    store,
    credentials: [{ role: "read", name: "cli", tokenSha256: sha256Hex(token) }],
  });
  return {
    where,
    async request(method, path, body) {
      const response = await app.inject({
        method,
        url: `${API_PREFIX}${path}`,
        headers: { authorization: `Bearer ${token}` },
        ...(body === undefined ? {} : { payload: body as object }),
      });
      return { status: response.statusCode, body: parse(response.body) };
    },
    close: () => app.close(),
  };
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
