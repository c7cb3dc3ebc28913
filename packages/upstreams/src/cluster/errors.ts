/**
 * Failures a real API server would answer with. Tools turn them into error results; anything else
 * thrown is a bug in the fixture and surfaces as a JSON-RPC error.
 */
export type ClusterErrorReason = "NotFound" | "AlreadyExists" | "Forbidden" | "Invalid" | "UnknownContext";

export class ClusterError extends Error {
  constructor(
    readonly reason: ClusterErrorReason,
    message: string,
  ) {
    super(message);
    this.name = "ClusterError";
  }
}

export function notFound(resource: string, name: string): ClusterError {
  return new ClusterError("NotFound", `${resource} "${name}" not found`);
}

export function alreadyExists(resource: string, name: string): ClusterError {
  return new ClusterError("AlreadyExists", `${resource} "${name}" already exists`);
}

export function invalid(message: string): ClusterError {
  return new ClusterError("Invalid", message);
}
