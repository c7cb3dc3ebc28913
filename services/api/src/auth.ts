/**
 * Who may ask. Bearer tokens, each with a role: `read` for every query, `admin` also for approving
 * held calls and running replays. Tokens are kept and compared as sha256 digests in constant time,
 * never logged; they come from environment variables (or digests), never from files.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export type Role = "read" | "admin";

export interface ApiCredential {
  /** sha256 hex digest of the bearer token. */
  tokenSha256: string;
  role: Role;
  /** Who holds it, for logs and messages. */
  name: string;
}

/** The environment variables `tollgate api` and `tollgate up` read tokens from, unless told otherwise. */
export const READ_TOKEN_ENV = "TOLLGATE_API_TOKEN";
export const ADMIN_TOKEN_ENV = "TOLLGATE_ADMIN_TOKEN";

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * Credentials from the environment: each named variable that is set and not empty becomes one token.
 * A variable ending in `_SHA256` holds a digest instead of the token itself.
 */
export function credentialsFromEnv(
  names: { read?: string; admin?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
): ApiCredential[] {
  const wanted: [Role, string][] = [
    ["read", names.read ?? READ_TOKEN_ENV],
    ["admin", names.admin ?? ADMIN_TOKEN_ENV],
  ];
  const credentials: ApiCredential[] = [];
  for (const [role, variable] of wanted) {
    const value = env[variable]?.trim();
    if (value) credentials.push({ role, name: role, tokenSha256: sha256Hex(value) });
    const digest = env[`${variable}_SHA256`]?.trim().toLowerCase();
    if (digest && /^[0-9a-f]{64}$/.test(digest)) credentials.push({ role, name: role, tokenSha256: digest });
  }
  return credentials;
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

/** The credential a token belongs to. Compares every credential, so timing does not tell which matched. */
export function findCredential(
  credentials: readonly ApiCredential[],
  token: string | undefined,
): ApiCredential | undefined {
  if (token === undefined) return undefined;
  const presented = Buffer.from(sha256Hex(token), "hex");
  let found: ApiCredential | undefined;
  for (const credential of credentials) {
    const expected = Buffer.from(credential.tokenSha256, "hex");
    if (expected.length === presented.length && timingSafeEqual(expected, presented)) found ??= credential;
  }
  return found;
}

export function allows(credential: ApiCredential, needed: Role): boolean {
  return needed === "read" || credential.role === "admin";
}
