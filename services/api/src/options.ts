import type { Store } from "@tollgate/store";
import type { ApiCredential } from "./auth.js";
import type { GatewayControl } from "./gateway-control.js";

export interface ApiOptions {
  store: Store;
  /** Bearer tokens and their roles. With none, every /api/v1 request is refused. */
  credentials: readonly ApiCredential[];
  /** The gateway's control API, for approvals. Without it, approval routes answer 503. */
  gateway?: GatewayControl;
  /** Where the API says what it does (one line each); silent when absent. */
  log?: (message: string) => void;
}

export interface StartApiOptions extends ApiOptions {
  /** Default 127.0.0.1: the API is local unless asked otherwise. */
  host?: string;
  /** Default 8788; 0 picks a free port. */
  port?: number;
}
