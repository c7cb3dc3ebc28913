/**
 * Who is calling. HTTP agents present a bearer token, mapped in the gateway's configuration to an
 * agent id and a grant; tokens are compared by their sha256 digests in constant time and never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export interface AgentCredential {
  /** sha256 hex digest of the bearer token. */
  tokenSha256: string;
  agent: string;
  grant: string;
}

export interface AdminCredential {
  tokenSha256: string;
  name: string;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

export function findByToken<T extends { tokenSha256: string }>(
  credentials: readonly T[],
  token: string | undefined,
): T | undefined {
  if (token === undefined) return undefined;
  const presented = Buffer.from(sha256Hex(token), "hex");
  return credentials.find((credential) => {
    const expected = Buffer.from(credential.tokenSha256, "hex");
    return expected.length === presented.length && timingSafeEqual(expected, presented);
  });
}
