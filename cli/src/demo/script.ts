/** Writes a session's calls in order, with an agent's think time between them. */
import type { ApprovalScript, PlannedCall, UpstreamAnswer } from "./plan.js";
import type { Random } from "./random.js";

export class Script {
  readonly calls: PlannedCall[] = [];
  private offsetMs = 0;

  constructor(readonly random: Random) {}

  /** The agent thinks (or waits) for between `minMs` and `maxMs` before its next call. */
  pause(minMs: number, maxMs: number): this {
    this.offsetMs += Math.round(this.random.between(minMs, maxMs));
    return this;
  }

  call(
    tool: string,
    args: Record<string, unknown>,
    options: { answer?: Partial<UpstreamAnswer>; approval?: ApprovalScript } = {},
  ): this {
    this.calls.push({
      offsetMs: this.offsetMs,
      tool,
      args,
      answer: {
        status: "ok",
        latencyMs: this.random.between(12, 380),
        resultBytes: this.random.int(300, 24_000),
        ...options.answer,
      },
      ...(options.approval === undefined ? {} : { approval: options.approval }),
    });
    // Even an eager agent needs a moment to read the answer.
    return this.pause(400, 2_500);
  }
}
