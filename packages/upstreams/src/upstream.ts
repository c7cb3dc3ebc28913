/** Picking a fixture server by kind. */
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { createK8sServer } from "./k8s/server.js";
import { createOcmServer } from "./ocm/server.js";
import type { UpstreamServerOptions } from "./server.js";

export const UPSTREAM_KINDS = ["k8s", "ocm"] as const;
export type UpstreamKind = (typeof UPSTREAM_KINDS)[number];

export function isUpstreamKind(value: string | undefined): value is UpstreamKind {
  return (UPSTREAM_KINDS as readonly (string | undefined)[]).includes(value);
}

export function createUpstreamServer(kind: UpstreamKind, options: UpstreamServerOptions = {}): Server {
  return kind === "k8s" ? createK8sServer(options) : createOcmServer(options);
}
