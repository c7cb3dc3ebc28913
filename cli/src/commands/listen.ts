import { parseListen } from "@tollgate/gateway";
import { UsageError } from "../exit-codes.js";

/** HOST:PORT for a listening socket, loopback by default; a usage error otherwise. */
export function parseListenAddress(listen: string): { host: string; port: number } {
  try {
    return parseListen(listen);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
