/** What a demo session is made of before any policy has looked at it: a script of calls in time. */
import type { Persona } from "./cast.js";

/** What the upstream would answer if the call reaches it. */
export interface UpstreamAnswer {
  status: "ok" | "tool_error";
  latencyMs: number;
  resultBytes: number;
}

/** What the person does with a held call, and after how long. */
export interface ApprovalScript {
  resolution: "approved" | "denied" | "timed_out";
  /** How long the call waits; ignored for `timed_out`, which waits the policy's whole timeout. */
  afterMs: number;
  by?: string;
  note?: string;
}

export interface PlannedCall {
  /** Since the session started. */
  offsetMs: number;
  tool: string;
  /** Raw arguments, secrets and all: redaction happens when the call is recorded, as in the gateway. */
  args: Record<string, unknown>;
  answer: UpstreamAnswer;
  /** Used only if the policy holds the call for approval. */
  approval?: ApprovalScript;
}

export interface SessionPlan {
  persona: Persona;
  /** Epoch ms of the session's first call. */
  start: number;
  /** What the session is about, for the printed summary. */
  story: string;
  calls: PlannedCall[];
}
