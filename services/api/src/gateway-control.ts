/**
 * Approvals live in the gateway that holds the calls: the API passes requests to the gateway's
 * control API (`GET /approvals`, `POST /approvals/:id/approve|deny`, admin token) and the gateway
 * records `approval.resolved` itself, with `by` naming the admin whose token it was given.
 */
import { ApiError } from "./errors.js";

export interface GatewayControl {
  /** The gateway's base URL, e.g. `http://127.0.0.1:8787` (a trailing `/mcp` is ignored). */
  url: string;
  /**
   * An admin token the gateway accepts. When absent, the caller's own bearer token is passed on,
   * so the gateway records who approved; when set, the gateway records the name of this token.
   */
  token?: string;
}

export interface PendingApproval {
  id: string;
  callId: string;
  server: string;
  tool: string;
  arguments: unknown;
  identity: { agent: string; grant: string; session?: string };
  rule: string;
  reason: string;
  requestedAt: number;
  expiresAt: number;
}

export interface ApprovalVerdict {
  id: string;
  resolution: "approved" | "denied";
  by: string;
}

const TIMEOUT_MS = 10_000;

export function gatewayClient(control: GatewayControl | undefined) {
  return {
    async pending(callerToken: string): Promise<PendingApproval[]> {
      const body = (await send(control, callerToken, "GET", "/approvals")) as {
        approvals: PendingApproval[];
      };
      return body.approvals;
    },
    async resolve(
      callerToken: string,
      id: string,
      verdict: "approve" | "deny",
      note: string | undefined,
    ): Promise<ApprovalVerdict> {
      return (await send(
        control,
        callerToken,
        "POST",
        `/approvals/${encodeURIComponent(id)}/${verdict}`,
        note === undefined ? {} : { note },
      )) as ApprovalVerdict;
    },
  };
}

async function send(
  control: GatewayControl | undefined,
  callerToken: string,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<unknown> {
  if (control === undefined) {
    throw new ApiError(
      503,
      "gateway_unavailable",
      "approvals need the gateway: no gateway control URL is configured (tollgate api --gateway-control URL; tollgate up sets it)",
    );
  }
  const url = new URL(path, `${control.url.replace(/\/mcp\/?$/, "").replace(/\/$/, "")}/`);
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${control.token ?? callerToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    const reason = error instanceof Error ? String(error.cause ?? error.message) : String(error);
    throw new ApiError(502, "gateway_error", `cannot reach the gateway at ${url.origin}: ${reason}`);
  }
  const text = await response.text();
  const parsed = parseJson(text);
  if (response.ok) return parsed;
  const said = (parsed as { error?: unknown } | undefined)?.error;
  const detail = typeof said === "string" ? said : text.slice(0, 200);
  if (response.status === 404) throw new ApiError(404, "not_found", detail);
  if (response.status === 401 || response.status === 403) {
    throw control.token === undefined
      ? new ApiError(403, "forbidden", `the gateway does not accept this token as an admin token: ${detail}`)
      : new ApiError(502, "gateway_error", `the gateway refused the API's admin token: ${detail}`);
  }
  if (response.status === 400)
    throw new ApiError(400, "bad_request", `the gateway refused the request: ${detail}`);
  throw new ApiError(502, "gateway_error", `the gateway answered HTTP ${response.status}: ${detail}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
