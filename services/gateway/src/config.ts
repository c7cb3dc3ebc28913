/**
 * The gateway's configuration file (JSON or YAML): upstreams, agents and admins, events, redaction.
 * Tokens never appear in it: each credential names an environment variable holding the token
 * (`token_env`) or gives the token's sha256 digest (`token_sha256`).
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { type AdminCredential, type AgentCredential, sha256Hex } from "./identity.js";
import type { UpstreamSpec } from "./upstream.js";

const Token = {
  token_env: z.string().min(1).optional(),
  token_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest")
    .optional(),
};

const ConfigSchema = z.strictObject({
  policy: z.string().min(1).optional(),
  listen: z.string().optional(),
  instance: z.string().min(1).optional(),
  upstreams: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, _ . - only"),
        command: z.string().min(1).optional(),
        args: z.array(z.string()).optional(),
        env: z.record(z.string(), z.string()).optional(),
        cwd: z.string().optional(),
        url: z.url().optional(),
        headers: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  agents: z
    .array(z.strictObject({ agent: z.string().min(1), grant: z.string().min(1), ...Token }))
    .optional(),
  admins: z.array(z.strictObject({ name: z.string().min(1), ...Token })).optional(),
  events: z
    .strictObject({
      file: z.string().optional(),
      spool: z.string().optional(),
      buffer: z.number().int().min(1).optional(),
      on_full: z.enum(["fail_closed", "fail_open"]).optional(),
    })
    .optional(),
  redaction: z
    .strictObject({
      keys: z.array(z.string()),
      values: z.array(z.string()),
      replacement: z.string().optional(),
    })
    .optional(),
  approvals: z.strictObject({ progress_interval_ms: z.number().int().min(100).optional() }).optional(),
});

export type GatewayConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

export async function readGatewayConfig(file: string): Promise<GatewayConfig> {
  let value: unknown;
  try {
    value = parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new ConfigError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const result = ConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `  ${file} at ${issue.path.join(".") || "(top)"}: ${issue.message}`,
    );
    throw new ConfigError(`invalid gateway configuration:\n${problems.join("\n")}`);
  }
  return resolvePaths(result.data, dirname(resolve(file)));
}

function resolvePaths(config: GatewayConfig, base: string): GatewayConfig {
  const at = (path: string | undefined) => (path === undefined ? undefined : resolve(base, path));
  return {
    ...config,
    ...(config.policy === undefined ? {} : { policy: at(config.policy) }),
    ...(config.events === undefined
      ? {}
      : { events: { ...config.events, file: at(config.events.file), spool: at(config.events.spool) } }),
  };
}

export function upstreamsOf(config: GatewayConfig): UpstreamSpec[] {
  return (config.upstreams ?? []).map((upstream) => {
    if ((upstream.command === undefined) === (upstream.url === undefined)) {
      throw new ConfigError(`upstream "${upstream.id}" needs exactly one of command or url`);
    }
    return upstream as UpstreamSpec;
  });
}

function digestOf(
  where: string,
  credential: { token_env?: string | undefined; token_sha256?: string | undefined },
): string {
  if (credential.token_sha256 !== undefined) return credential.token_sha256;
  if (credential.token_env === undefined) throw new ConfigError(`${where} needs token_env or token_sha256`);
  const token = process.env[credential.token_env];
  if (token === undefined || token === "") {
    throw new ConfigError(`${where}: environment variable ${credential.token_env} is not set`);
  }
  return sha256Hex(token);
}

export function agentsOf(config: GatewayConfig): AgentCredential[] {
  return (config.agents ?? []).map((a, i) => ({
    agent: a.agent,
    grant: a.grant,
    tokenSha256: digestOf(`agents[${i}] (${a.agent})`, a),
  }));
}

export function adminsOf(config: GatewayConfig): AdminCredential[] {
  return (config.admins ?? []).map((a, i) => ({
    name: a.name,
    tokenSha256: digestOf(`admins[${i}] (${a.name})`, a),
  }));
}

/** `127.0.0.1:8787`, `:8787`, `8787` → host and port; the host defaults to loopback. */
export function parseListen(listen: string): { host: string; port: number } {
  const match = /^(?:(\[[^\]]+\]|[^:]*):)?(\d+)$/.exec(listen);
  if (match === null) throw new ConfigError(`--listen "${listen}" is not HOST:PORT`);
  const host = match[1] === undefined || match[1] === "" ? "127.0.0.1" : match[1].replace(/^\[|\]$/g, "");
  return { host, port: Number(match[2]) };
}
