/** `tollgate approvals`: lists held calls and approves or denies them, through the gateway's HTTP API. */
import { ExitCode, UsageError } from "../exit-codes.js";
import { type Output, table } from "../output.js";

export interface ApprovalsOptions {
  url: string;
  tokenEnv: string;
  note?: string;
  json?: boolean;
}

interface PendingApproval {
  id: string;
  tool: string;
  server: string;
  identity: { agent: string; grant: string };
  reason: string;
  arguments: unknown;
  expiresAt: number;
}

export async function listApprovals(options: ApprovalsOptions, output: Output): Promise<number> {
  const response = await call(options, "GET", "/approvals");
  const { approvals } = (await response.json()) as { approvals: PendingApproval[] };
  if (options.json) {
    output.out(JSON.stringify(approvals, null, 2));
  } else if (approvals.length === 0) {
    output.out("no calls are waiting for approval");
  } else {
    const rows = approvals.map((a) => [
      a.id,
      `${a.server}:${a.tool}`,
      a.identity.agent,
      a.identity.grant,
      `${Math.max(0, Math.round((a.expiresAt - Date.now()) / 1000))}s`,
      JSON.stringify(a.arguments).slice(0, 60),
    ]);
    output.out(table([["id", "tool", "agent", "grant", "expires in", "arguments"], ...rows]));
  }
  return ExitCode.ok;
}

export async function resolveApproval(
  id: string,
  verdict: "approve" | "deny",
  options: ApprovalsOptions,
  output: Output,
) {
  const body = options.note === undefined ? {} : { note: options.note };
  const response = await call(options, "POST", `/approvals/${encodeURIComponent(id)}/${verdict}`, body);
  const result = (await response.json()) as { resolution: string; by: string };
  output.out(`${id}: ${result.resolution} by ${result.by}`);
  return ExitCode.ok;
}

async function call(
  options: ApprovalsOptions,
  method: string,
  path: string,
  body?: unknown,
): Promise<Response> {
  const token = process.env[options.tokenEnv];
  if (token === undefined || token === "")
    throw new UsageError(`environment variable ${options.tokenEnv} (the admin token) is not set`);
  const url = new URL(path, options.url.replace(/\/mcp$/, "/"));
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new UsageError(
      `cannot reach the gateway at ${url.origin}: ${(error as Error).cause ?? (error as Error).message}`,
    );
  }
  if (!response.ok) {
    const text = await response.text();
    throw new UsageError(`${method} ${url.pathname}: HTTP ${response.status} ${text}`);
  }
  return response;
}
