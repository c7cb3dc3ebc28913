/**
 * One connection from a gateway session to one upstream MCP server, over stdio (a child process) or
 * Streamable HTTP. The gateway relays JSON-RPC at the transport level, so it owns request ids on this
 * link: every request it sends gets a fresh id here and its response is matched back by that id.
 * A dead upstream fails every pending request at once (never a hung agent) and is restarted on the
 * next request, re-initialised with the agent's own initialize parameters.
 */
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { fetchWithOwnSignal } from "./fetch.js";
import {
  isNotification,
  isRequest,
  isResponse,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type RequestId,
} from "./jsonrpc.js";

export interface UpstreamSpec {
  /** The server's id: in server-qualified rules (`id:tool`), events and qualified tool names. */
  id: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
}

export interface UpstreamHandlers {
  /** A request from the server to the client (sampling, elicitation, roots). */
  onRequest(link: UpstreamLink, request: JSONRPCRequest): void;
  onNotification(link: UpstreamLink, notification: JSONRPCNotification): void;
  /** Something worth telling an operator: junk on stdout, an exit, a restart. */
  onProblem(link: UpstreamLink, message: string): void;
}

export class UpstreamUnavailable extends Error {}

/** The agent cancelled the request: no response is owed to anyone. */
export class RequestCancelled extends Error {}

/** The upstream did not answer in time; it has been told to stop (notifications/cancelled). */
export class UpstreamTimeout extends Error {}

interface Pending {
  resolve(response: JSONRPCResponse): void;
  reject(error: Error): void;
}

const STDERR_TAIL = 2_000;
const MAX_RESTARTS = 3;

export class UpstreamLink {
  private transport: Transport | undefined;
  private nextId = 1;
  private readonly pending = new Map<RequestId, Pending>();
  private stderrTail = "";
  private initializeParams: JSONRPCRequest["params"] | undefined;
  private restarts = 0;
  private closing = false;
  /** The initialize result, once the handshake has been done. */
  initializeResult: Record<string, unknown> | undefined;

  constructor(
    readonly spec: UpstreamSpec,
    private readonly handlers: UpstreamHandlers,
  ) {}

  /** Connects and performs the initialize handshake with the agent's parameters. */
  async initialize(params: JSONRPCRequest["params"]): Promise<JSONRPCResponse> {
    this.initializeParams = params;
    await this.connect();
    const response = await this.request({ jsonrpc: "2.0", id: 0, method: "initialize", params });
    if ("result" in response) {
      this.initializeResult = response.result as Record<string, unknown>;
      await this.notify({ jsonrpc: "2.0", method: "notifications/initialized" });
    }
    return response;
  }

  /**
   * Sends a request under a fresh id of this link and resolves with the response (the caller restores
   * its own id). `onSent` learns the link's id, for relaying a cancellation.
   */
  async request(
    request: JSONRPCRequest,
    onSent?: (upstreamId: number) => void,
    timeoutMs?: number,
  ): Promise<JSONRPCResponse> {
    await this.ensureRunning(request.method);
    const id = this.nextId++;
    onSent?.(id);
    const transport = this.transport as Transport;
    return new Promise<JSONRPCResponse>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              const message = `upstream "${this.spec.id}" did not answer ${request.method} within ${timeoutMs} ms`;
              this.cancel(id, message, new UpstreamTimeout(message));
            }, timeoutMs);
      this.pending.set(id, {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      transport.send({ ...request, id }).catch((error: unknown) => {
        const message = `upstream "${this.spec.id}" did not take the request: ${describe(error)}`;
        this.pending.get(id)?.reject(new UpstreamUnavailable(message));
        this.pending.delete(id);
      });
    });
  }

  /** Tells the upstream to stop work on a request and settles it locally at once. */
  cancel(upstreamId: number, reason: string, error: Error = new RequestCancelled(reason)): void {
    const pending = this.pending.get(upstreamId);
    if (pending === undefined) return;
    this.pending.delete(upstreamId);
    void this.notify({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: upstreamId, reason },
    });
    pending.reject(error);
  }

  async notify(notification: JSONRPCNotification): Promise<void> {
    if (this.transport === undefined) return;
    await this.transport.send(notification).catch((error: unknown) => {
      this.handlers.onProblem(this, `could not notify upstream "${this.spec.id}": ${describe(error)}`);
    });
  }

  /** Answers a request the server sent to the client. */
  async respond(response: JSONRPCResponse): Promise<void> {
    await this.transport?.send(response);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.failPending(`the gateway session closed`);
    await this.transport?.close().catch(() => undefined);
    this.transport = undefined;
  }

  private async ensureRunning(method: string): Promise<void> {
    if (this.transport !== undefined) return;
    if (this.closing) throw new UpstreamUnavailable(`upstream "${this.spec.id}" is closed`);
    if (method === "initialize") return;
    if (this.initializeParams === undefined || this.restarts >= MAX_RESTARTS) {
      throw new UpstreamUnavailable(`upstream "${this.spec.id}" is not running${this.exitDetail()}`);
    }
    this.restarts += 1;
    this.handlers.onProblem(
      this,
      `restarting upstream "${this.spec.id}" (restart ${this.restarts} of ${MAX_RESTARTS})`,
    );
    await this.initialize(this.initializeParams);
  }

  private async connect(): Promise<void> {
    const transport = this.createTransport();
    transport.onmessage = (message) => this.receive(message);
    transport.onerror = (error) =>
      this.handlers.onProblem(this, `upstream "${this.spec.id}": ${error.message}`);
    transport.onclose = () => this.lost(transport);
    await transport.start();
    this.transport = transport;
  }

  private createTransport(): Transport {
    const { command, url } = this.spec;
    if (url !== undefined) {
      return new StreamableHTTPClientTransport(new URL(url), {
        fetch: fetchWithOwnSignal(),
        ...(this.spec.headers === undefined ? {} : { requestInit: { headers: this.spec.headers } }),
      });
    }
    if (command === undefined) throw new Error(`upstream "${this.spec.id}" needs a command or a url`);
    const transport = new StdioClientTransport({
      command,
      args: this.spec.args ?? [],
      // Only the SDK's safe list (PATH, HOME, …): the gateway's own tokens must not leak to upstreams.
      env: { ...getDefaultEnvironment(), ...this.spec.env },
      stderr: "pipe",
      ...(this.spec.cwd === undefined ? {} : { cwd: this.spec.cwd }),
    });
    transport.stderr?.on("data", (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL);
    });
    return transport;
  }

  private receive(message: JSONRPCMessage): void {
    if (isResponse(message)) {
      if (message.id === undefined) return;
      const pending = this.pending.get(message.id);
      if (pending === undefined) return;
      this.pending.delete(message.id);
      pending.resolve(message);
    } else if (isRequest(message)) {
      this.handlers.onRequest(this, message);
    } else if (isNotification(message)) {
      this.handlers.onNotification(this, message);
    }
  }

  private lost(transport: Transport): void {
    if (this.transport !== transport) return;
    this.transport = undefined;
    if (this.closing) return;
    const reason = `upstream "${this.spec.id}" exited${this.exitDetail()}`;
    this.handlers.onProblem(this, reason);
    this.failPending(reason);
  }

  private failPending(reason: string): void {
    for (const pending of this.pending.values()) pending.reject(new UpstreamUnavailable(reason));
    this.pending.clear();
  }

  private exitDetail(): string {
    const tail = this.stderrTail.trim().split("\n").slice(-3).join(" | ");
    return tail === "" ? "" : ` (stderr: ${tail})`;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
