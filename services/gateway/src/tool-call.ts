/**
 * One tools/call through the gateway: decide, record `call.decided` before the upstream is reached,
 * forward only what is allowed, hold what needs approval, and record `call.completed` either way.
 * A refusal is a tool result with `isError: true`, a sentence naming the rule and the reason, and the
 * details under tollgate's `_meta` prefix, so agents and people both see why.
 */
import type { CallInfo, DecisionRecord, SessionInfo } from "@tollgate/events";
import { hashValue, newEventId } from "@tollgate/events";
import type { Call, Decision } from "@tollgate/policy";
import type { ToolRoute } from "./catalog.js";
import { type GatewayCore, META_PREFIX } from "./core.js";
import {
  ErrorCodes,
  errorResponse,
  type JSONRPCRequest,
  type JSONRPCResponse,
  resultResponse,
} from "./jsonrpc.js";
import { RequestCancelled, type UpstreamLink, UpstreamTimeout, UpstreamUnavailable } from "./upstream.js";

export interface ToolCallContext {
  core: GatewayCore;
  session: SessionInfo;
  /** Forwards a request to an upstream and returns its response under the agent's request id. */
  forward(link: UpstreamLink, request: JSONRPCRequest): Promise<JSONRPCResponse>;
  /** Tells the agent about progress on its request, if it asked for progress. */
  progress(request: JSONRPCRequest, progress: number, message: string): void;
}

interface CallRecord {
  callId: string;
  call: Call;
  route: ToolRoute;
  request: JSONRPCRequest;
  /** The call as events record it (arguments redacted, raw ones hashed): built once per call. */
  recorded: CallInfo;
}

export async function handleToolCall(
  context: ToolCallContext,
  request: JSONRPCRequest,
  route: ToolRoute,
): Promise<JSONRPCResponse> {
  const { core } = context;
  const args = request.params?.arguments;
  const call: Call = {
    server: route.link.spec.id,
    tool: route.tool,
    args,
    identity: identityOf(context.session),
  };
  const callId = newEventId();
  if (!core.recorder.acceptsCalls) {
    core.log(`tollgate: refusing ${route.tool}: the event buffer is full and the gateway fails closed`);
    return refusalResponse(request, callId, {
      outcome: "deny",
      rule: "events.on_full",
      reason: "the audit trail is unavailable (event buffer full) and this gateway fails closed",
    });
  }
  const redacted = core.redact(args ?? {});
  const recorded: CallInfo = {
    id: callId,
    requestId: request.id,
    server: route.link.spec.id,
    tool: route.tool,
    arguments: redacted.value,
    argumentsHash: hashValue(args ?? {}),
    redacted: redacted.paths,
  };
  const record: CallRecord = { callId, call, route, request, recorded };
  const decision = decideAndRecord(context, record);
  if (decision.outcome === "approval_required") return awaitApproval(context, record, decision);
  return decision.outcome === "allow" ? forwardCall(context, record) : refuse(context, record, decision);
}

function decideAndRecord(context: ToolCallContext, record: CallRecord): Decision {
  const { core, session } = context;
  const decision = core.enforcer.decide(record.call);
  const policy = core.enforcer.policy;
  core.recorder.record({
    type: "call.decided",
    session,
    payload: {
      call: record.recorded,
      decision: decisionRecord(decision, { name: policy.name, digest: policy.digest }, record.call.approval),
    },
  });
  return decision;
}

async function forwardCall(context: ToolCallContext, record: CallRecord): Promise<JSONRPCResponse> {
  const started = performance.now();
  const upstreamRequest = {
    ...record.request,
    params: { ...record.request.params, name: record.route.tool },
  };
  try {
    const response = await context.forward(record.route.link, upstreamRequest);
    completed(context, record, started, statusOf(response), response);
    return response;
  } catch (error) {
    if (error instanceof RequestCancelled) {
      completed(context, record, started, "cancelled", undefined, error.message);
      throw error;
    }
    if (error instanceof UpstreamTimeout) {
      completed(context, record, started, "timeout", undefined, error.message);
      return errorResponse(record.request.id, ErrorCodes.internalError, error.message);
    }
    if (!(error instanceof UpstreamUnavailable)) throw error;
    completed(context, record, started, "upstream_unavailable", undefined, error.message);
    return errorResponse(record.request.id, ErrorCodes.internalError, error.message);
  }
}

function statusOf(response: JSONRPCResponse): "ok" | "tool_error" | "error" {
  if ("error" in response) return "error";
  return (response.result as { isError?: unknown }).isError === true ? "tool_error" : "ok";
}

function completed(
  context: ToolCallContext,
  record: CallRecord,
  started: number,
  status: "ok" | "tool_error" | "error" | "upstream_unavailable" | "denied" | "cancelled" | "timeout",
  response: JSONRPCResponse | undefined,
  failure?: string,
): void {
  const error =
    response !== undefined && "error" in response
      ? { code: response.error.code, message: response.error.message }
      : failure === undefined
        ? undefined
        : { message: failure };
  context.core.recorder.record({
    type: "call.completed",
    session: context.session,
    payload: {
      callId: record.callId,
      status,
      latencyMs: performance.now() - started,
      resultBytes: response === undefined ? 0 : Buffer.byteLength(JSON.stringify(response)),
      ...(error === undefined ? {} : { error }),
    },
  });
}

function refuse(context: ToolCallContext, record: CallRecord, decision: Decision): JSONRPCResponse {
  completed(context, record, performance.now(), "denied", undefined);
  return refusalResponse(record.request, record.callId, decision);
}

function refusalResponse(
  request: JSONRPCRequest,
  callId: string,
  decision: Pick<Decision, "outcome" | "rule" | "reason"> & Partial<Pick<Decision, "counters">>,
): JSONRPCResponse {
  const verb = decision.outcome === "rate_limited" ? "rate-limited" : "denied";
  return resultResponse(request.id, {
    content: [
      { type: "text", text: `tollgate ${verb} this call: ${decision.reason} [rule: ${decision.rule}]` },
    ],
    isError: true,
    _meta: {
      [`${META_PREFIX}decision`]: {
        callId,
        outcome: decision.outcome,
        rule: decision.rule,
        reason: decision.reason,
        counters: decision.counters ?? [],
      },
    },
  });
}

async function awaitApproval(
  context: ToolCallContext,
  record: CallRecord,
  decision: Decision,
): Promise<JSONRPCResponse> {
  const { core, session } = context;
  const timeoutMs = decision.approvalTimeoutMs ?? 300_000;
  const { approval, settled } = core.approvals.hold(
    {
      callId: record.callId,
      server: record.call.server ?? "",
      tool: record.call.tool,
      arguments: record.recorded.arguments,
      identity: record.call.identity,
      rule: decision.rule,
      reason: decision.reason,
    },
    timeoutMs,
  );
  core.recorder.record({
    type: "approval.requested",
    session,
    payload: {
      callId: record.callId,
      approvalId: approval.id,
      rule: decision.rule,
      reason: decision.reason,
      expiresAt: approval.expiresAt,
    },
  });
  const resolution = await waitWithProgress(
    context,
    record.request,
    approval.id,
    approval.expiresAt,
    settled,
  );
  core.recorder.record({
    type: "approval.resolved",
    session,
    payload: { callId: record.callId, approvalId: approval.id, ...resolution },
  });
  if (resolution.resolution !== "approved") {
    const reason =
      resolution.resolution === "timed_out"
        ? `no one approved "${record.call.tool}" within ${Math.round(timeoutMs / 1000)}s (${decision.reason})`
        : `${resolution.by ?? "an approver"} denied "${record.call.tool}"${resolution.note ? `: ${resolution.note}` : ""}`;
    completed(context, record, performance.now(), "denied", undefined);
    return refusalResponse(record.request, record.callId, { outcome: "deny", rule: decision.rule, reason });
  }
  const approved = decideAndRecord(context, { ...record, call: { ...record.call, approval: "granted" } });
  return approved.outcome === "allow" ? forwardCall(context, record) : refuse(context, record, approved);
}

async function waitWithProgress<T>(
  context: ToolCallContext,
  request: JSONRPCRequest,
  approvalId: string,
  expiresAt: number,
  settled: Promise<T>,
): Promise<T> {
  let step = 0;
  const tell = () => {
    const seconds = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
    context.progress(
      request,
      step++,
      `waiting for a person to approve (approval ${approvalId}, ${seconds}s left)`,
    );
  };
  tell();
  const timer = setInterval(tell, context.core.approvalProgressMs);
  try {
    return await settled;
  } finally {
    clearInterval(timer);
  }
}

/** The decision as an event records it: plain data, with the policy that made it. */
export function decisionRecord(
  decision: Decision,
  policy: { name: string; digest: string },
  approval: Call["approval"],
): DecisionRecord {
  const { shadow, ...rest } = decision;
  return {
    ...rest,
    ...(approval === undefined ? {} : { approval }),
    counters: [...decision.counters],
    ...(shadow === undefined ? {} : { shadow: { ...shadow, counters: [...shadow.counters] } }),
    policy,
  };
}

function identityOf(session: SessionInfo) {
  return { agent: session.agent, grant: session.grant, session: session.id };
}
