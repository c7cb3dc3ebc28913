/** JSON-RPC helpers shared by the relay: the message shapes come from the MCP SDK. */
import {
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCErrorResponse,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResultResponse,
  type RequestId,
} from "@modelcontextprotocol/sdk/types.js";

export type {
  JSONRPCErrorResponse,
  JSONRPCMessage,
  JSONRPCNotification,
  JSONRPCRequest,
  JSONRPCResultResponse,
  RequestId,
};
export type JSONRPCResponse = JSONRPCResultResponse | JSONRPCErrorResponse;

export const isRequest = isJSONRPCRequest;
export const isNotification = isJSONRPCNotification;
export function isResponse(message: unknown): message is JSONRPCResponse {
  return isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message);
}
export const isErrorResponse = isJSONRPCErrorResponse;

/** JSON-RPC and MCP error codes the gateway answers with. */
export const ErrorCodes = {
  invalidParams: -32602,
  methodNotFound: -32601,
  internalError: -32603,
} as const;

export function errorResponse(
  id: RequestId,
  code: number,
  message: string,
  data?: unknown,
): JSONRPCErrorResponse {
  return { jsonrpc: "2.0", id, error: data === undefined ? { code, message } : { code, message, data } };
}

export function resultResponse(id: RequestId, result: Record<string, unknown>): JSONRPCResultResponse {
  return { jsonrpc: "2.0", id, result } as JSONRPCResultResponse;
}
