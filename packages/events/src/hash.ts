import { createHash } from "node:crypto";
import canonicalize from "canonicalize";

/** sha256 of a value's RFC 8785 canonical JSON: the same arguments hash the same, however sent. */
export function hashValue(value: unknown): string {
  return `sha256:${createHash("sha256")
    .update(canonicalize(value ?? null) ?? "")
    .digest("hex")}`;
}
