/**
 * Every refusal has the same body, `{ error, message, field? }`: a machine-readable kind, a sentence
 * for a person, and the input at fault when there is one.
 */
export type ErrorKind =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "sql_refused"
  | "gateway_error"
  | "gateway_unavailable"
  | "store_unavailable"
  | "busy"
  | "internal";

export interface ErrorBody {
  error: ErrorKind;
  message: string;
  field?: string;
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly statusCode: number,
    readonly kind: ErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  body(): ErrorBody {
    return {
      error: this.kind,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
    };
  }
}

/** Bad input the query functions themselves found (a cursor, a time), named by its field. */
export function badInput(field: string, message: string): ApiError {
  return new ApiError(400, "bad_request", message, field);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, "not_found", message);
}

export const ERROR_SCHEMA = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", description: "what kind of refusal" },
    message: { type: "string", description: "what is wrong, in a sentence" },
    field: { type: "string", description: "the input at fault, when there is one" },
  },
} as const;
