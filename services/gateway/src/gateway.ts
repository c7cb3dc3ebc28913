/**
 * A gateway: the shared core (policy shell, recorder, approvals) plus the sessions agents open
 * over stdio or HTTP. The shells (stdio.ts, http.ts) only create transports and identities.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createRedactor, type EventSink, newEventId, type RedactionRules } from "@tollgate/events";
import type { CompiledPolicy } from "@tollgate/policy";
import { ApprovalDesk } from "./approvals.js";
import type { GatewayCore, SessionContext } from "./core.js";
import { Enforcer } from "./enforcer.js";
import { PolicyWatcher } from "./policy-watch.js";
import { EventRecorder, type OverflowChoice } from "./recorder.js";
import { GatewaySession } from "./session.js";
import type { UpstreamSpec } from "./upstream.js";

export const GATEWAY_VERSION = "0.1.0";

export interface GatewayOptions {
  policy: CompiledPolicy;
  /** The policy's file, watched for changes; omit to never reload. */
  policyFile?: string;
  upstreams: UpstreamSpec[];
  sink: EventSink;
  instance?: string;
  redaction?: RedactionRules;
  eventBuffer?: number;
  onEventBufferFull?: OverflowChoice;
  approvalProgressMs?: number;
  callTimeoutMs?: number;
  log?: (message: string) => void;
}

export class Gateway {
  readonly core: GatewayCore;
  private readonly sessions = new Map<string, GatewaySession>();
  private readonly watcher: PolicyWatcher | undefined;

  constructor(options: GatewayOptions) {
    if (options.upstreams.length === 0) throw new Error("a gateway needs at least one upstream server");
    const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
    const enforcer = new Enforcer(options.policy);
    const recorder = new EventRecorder(options.sink, {
      instance: options.instance ?? `gw-${newEventId()}`,
      version: GATEWAY_VERSION,
      bufferLimit: options.eventBuffer ?? 10_000,
      onFull: options.onEventBufferFull ?? "fail_closed",
      log,
    });
    this.core = {
      enforcer,
      recorder,
      approvals: new ApprovalDesk(),
      redact: createRedactor(options.redaction),
      upstreams: options.upstreams,
      approvalProgressMs: options.approvalProgressMs ?? 5_000,
      callTimeoutMs: options.callTimeoutMs ?? 300_000,
      version: GATEWAY_VERSION,
      log,
    };
    recorder.record({
      type: "policy.loaded",
      payload: {
        name: options.policy.name,
        digest: options.policy.digest,
        source: options.policy.source,
        previousDigest: null,
      },
    });
    if (options.policyFile !== undefined) {
      this.watcher = new PolicyWatcher(options.policyFile, enforcer, recorder, log, () =>
        this.toolsMayHaveChanged(),
      );
      this.watcher.start();
    }
  }

  /** Opens a session for an agent connected over `transport`. */
  async openSession(transport: Transport, context: SessionContext): Promise<GatewaySession> {
    const session = new GatewaySession(this.core, transport, context);
    this.sessions.set(session.id, session);
    void session.whenClosed.then(() => this.sessions.delete(session.id));
    await session.start();
    return session;
  }

  /** Tells every agent to list tools again: a new policy may hide or reveal some. */
  private toolsMayHaveChanged(): void {
    for (const session of this.sessions.values()) session.notifyToolsChanged();
  }

  /** Re-reads the policy file now (tests, and a SIGHUP). */
  async reloadPolicy(): Promise<void> {
    await this.watcher?.reload();
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    this.core.approvals.closeAll();
    await Promise.all([...this.sessions.values()].map((session) => session.close()));
    await this.core.recorder.close();
  }
}
