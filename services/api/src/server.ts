/** Serving the API on a socket: 127.0.0.1:8788 unless told otherwise. */
import { createApi } from "./app.js";
import type { StartApiOptions } from "./options.js";

export const DEFAULT_API_PORT = 8788;

export interface RunningApi {
  /** Base URL, e.g. `http://127.0.0.1:8788`. */
  url: string;
  close(): Promise<void>;
}

export async function startApi(options: StartApiOptions): Promise<RunningApi> {
  const app = await createApi(options);
  const host = options.host ?? "127.0.0.1";
  try {
    await app.listen({ host, port: options.port ?? DEFAULT_API_PORT });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, close: () => app.close() };
}
