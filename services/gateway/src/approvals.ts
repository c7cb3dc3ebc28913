/**
 * Calls held for a person's approval. A held call waits on a promise that settles when someone
 * approves or denies it (CLI or HTTP, authenticated by the shell) or when its time runs out.
 */
import { newEventId } from "@tollgate/events";
import type { Identity } from "@tollgate/policy";

export interface PendingApproval {
  id: string;
  callId: string;
  server: string;
  tool: string;
  /** Arguments after redaction: this is shown to the approver. */
  arguments: unknown;
  identity: Identity;
  rule: string;
  reason: string;
  requestedAt: number;
  expiresAt: number;
}

export interface ApprovalResolution {
  resolution: "approved" | "denied" | "timed_out";
  by?: string;
  note?: string;
}

interface Held {
  approval: PendingApproval;
  settle(resolution: ApprovalResolution): void;
  timer: NodeJS.Timeout;
}

export class ApprovalDesk {
  private readonly held = new Map<string, Held>();

  constructor(private readonly clock: () => number = Date.now) {}

  hold(request: Omit<PendingApproval, "id" | "requestedAt" | "expiresAt">, timeoutMs: number) {
    const now = this.clock();
    const approval: PendingApproval = {
      ...request,
      id: newEventId(),
      requestedAt: now,
      expiresAt: now + timeoutMs,
    };
    const settled = new Promise<ApprovalResolution>((resolve) => {
      const timer = setTimeout(() => this.settle(approval.id, { resolution: "timed_out" }), timeoutMs);
      this.held.set(approval.id, { approval, settle: resolve, timer });
    });
    return { approval, settled };
  }

  /** Approves or denies a held call; undefined when no such call is waiting (already settled, or unknown). */
  resolve(
    id: string,
    resolution: "approved" | "denied",
    by: string,
    note?: string,
  ): PendingApproval | undefined {
    const held = this.held.get(id);
    if (held === undefined) return undefined;
    this.settle(id, { resolution, by, ...(note === undefined ? {} : { note }) });
    return held.approval;
  }

  pending(): PendingApproval[] {
    return [...this.held.values()].map((held) => held.approval).sort((a, b) => a.requestedAt - b.requestedAt);
  }

  /** Denies everything still waiting: the gateway is shutting down. */
  closeAll(): void {
    for (const id of [...this.held.keys()]) this.settle(id, { resolution: "denied", by: "gateway shutdown" });
  }

  private settle(id: string, resolution: ApprovalResolution): void {
    const held = this.held.get(id);
    if (held === undefined) return;
    clearTimeout(held.timer);
    this.held.delete(id);
    held.settle(resolution);
  }
}
