/**
 * A gateway session: one agent connection (downstream transport) and one link to each upstream.
 * It relays JSON-RPC faithfully — the agent's ids, progress, cancellation, notifications and
 * server-to-client requests (sampling, elicitation, roots) — and puts every tools/call through the
 * policy. Sessions are per agent because MCP sessions are stateful: sharing an upstream connection
 * would send one agent's roots or sampling requests to another.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { SessionInfo } from "@tollgate/events";
import { Catalog, type ToolRoute } from "./catalog.js";
import type { GatewayCore, SessionContext } from "./core.js";
import {
  ErrorCodes,
  errorResponse,
  isNotification,
  isRequest,
  isResponse,
  type JSONRPCMessage,
  type JSONRPCNotification,
  type JSONRPCRequest,
  type JSONRPCResponse,
  type RequestId,
  resultResponse,
} from "./jsonrpc.js";
import { handleToolCall } from "./tool-call.js";
import { RequestCancelled, UpstreamLink, UpstreamUnavailable } from "./upstream.js";

interface InFlight {
  link: UpstreamLink;
  upstreamId: number;
}

export class GatewaySession {
  private readonly links: UpstreamLink[];
  private readonly catalog = new Catalog();
  private readonly info: SessionInfo;
  /** Agent requests being served upstream, by the agent's id: for cancellation. */
  private readonly inFlight = new Map<RequestId, InFlight>();
  /** Progress tokens the agent gave, to the agent request they belong to. */
  private readonly progressOwners = new Map<string | number, RequestId>();
  /** Server-to-client requests relayed to the agent, by the id the gateway gave them. */
  private readonly relayedToAgent = new Map<number, { link: UpstreamLink; upstreamId: RequestId }>();
  private nextAgentId = 1;
  private closed = false;
  private markClosed: () => void = () => {};
  /** Settles once the session has closed (the agent left, or the gateway closed it). */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(
    private readonly core: GatewayCore,
    private readonly downstream: Transport,
    context: SessionContext,
  ) {
    this.info = { ...context };
    this.links = core.upstreams.map(
      (spec) =>
        new UpstreamLink(spec, {
          onRequest: (link, request) => this.relayServerRequest(link, request),
          onNotification: (link, notification) => this.relayServerNotification(link, notification),
          onProblem: (_link, message) => core.log(`tollgate [session ${context.id}]: ${message}`),
        }),
    );
  }

  get id(): string {
    return this.info.id;
  }

  async start(): Promise<void> {
    this.downstream.onmessage = (message) => this.fromAgent(message);
    this.downstream.onclose = () => void this.close();
    this.downstream.onerror = (error) =>
      this.core.log(`tollgate [session ${this.info.id}]: agent transport: ${error.message}`);
    await this.downstream.start();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.links.map((link) => link.close()));
    await this.downstream.close().catch(() => undefined);
    this.markClosed();
  }

  /** The tools an agent may see changed (a policy reload): MCP's list_changed makes it list again. */
  notifyToolsChanged(): void {
    if (this.info.client === undefined) return; // not initialised yet: it will list anyway
    this.toAgent({ jsonrpc: "2.0", method: "notifications/tools/list_changed" });
  }

  private fromAgent(message: JSONRPCMessage): void {
    if (isRequest(message)) {
      this.serve(message)
        .catch((error: unknown) =>
          error instanceof RequestCancelled
            ? undefined
            : errorResponse(message.id, ErrorCodes.internalError, describe(error)),
        )
        .then((response) => {
          // A cancelled request is owed no response (MCP cancellation).
          if (response !== undefined) this.toAgent(response, message.id);
        });
    } else if (isResponse(message)) {
      this.answerServerRequest(message);
    } else if (isNotification(message)) {
      this.relayAgentNotification(message);
    }
  }

  private toAgent(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    if (this.closed) return;
    const options = relatedRequestId === undefined ? undefined : { relatedRequestId };
    this.downstream.send(message, options).catch((error: unknown) => {
      this.core.log(`tollgate [session ${this.info.id}]: could not reach the agent: ${describe(error)}`);
    });
  }

  private async serve(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    switch (request.method) {
      case "initialize":
        return this.initialize(request);
      case "ping":
        return resultResponse(request.id, {});
      case "tools/list":
        return this.listTools(request);
      case "tools/call":
        return this.callTool(request);
      case "resources/list":
      case "resources/templates/list":
      case "prompts/list":
        return this.list(request);
      case "resources/read":
      case "resources/subscribe":
      case "resources/unsubscribe":
        return this.forward(this.catalog.resource(String(request.params?.uri)) ?? this.primary, request);
      case "prompts/get":
        return this.forward(this.catalog.prompt(String(request.params?.name)) ?? this.primary, request);
      case "logging/setLevel":
        return this.broadcast(request);
      default:
        return this.forward(this.primary, request);
    }
  }

  private get primary(): UpstreamLink {
    return this.links[0] as UpstreamLink;
  }

  private get single(): boolean {
    return this.links.length === 1;
  }

  private async initialize(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    const params = request.params as { clientInfo?: { name: string; version: string } } | undefined;
    if (params?.clientInfo !== undefined)
      this.info.client = { name: params.clientInfo.name, version: params.clientInfo.version };
    const responses = await Promise.all(this.links.map((link) => link.initialize(request.params)));
    const failed = responses.find((response) => "error" in response);
    if (failed !== undefined) return { ...failed, id: request.id };
    if (this.single) return { ...(responses[0] as JSONRPCResponse), id: request.id };
    return resultResponse(request.id, mergeInitializeResults(this.links, this.core.version));
  }

  private async listTools(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    if (this.single) {
      const response = await this.forward(this.primary, request);
      if ("error" in response) return response;
      const result = response.result as { tools?: Tool[] };
      // The policy in force now, after the await: a reload meanwhile must not be filtered with the old one.
      const listing = [{ link: this.primary, tools: result.tools ?? [] }];
      const tools = this.catalog.setTools(listing, this.core.enforcer.policy);
      return { ...response, result: { ...response.result, tools } };
    }
    return resultResponse(request.id, { tools: await this.refreshCatalog() });
  }

  /** Lists every upstream's tools (all pages), routes them, and returns what the agent may see. */
  private async refreshCatalog(): Promise<Tool[]> {
    const listings = await Promise.all(
      this.links.map(async (link) => ({ link, tools: await this.allTools(link) })),
    );
    return this.catalog.setTools(listings, this.core.enforcer.policy);
  }

  private async allTools(link: UpstreamLink): Promise<Tool[]> {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const params = cursor === undefined ? {} : { cursor };
      const response = await link.request({ jsonrpc: "2.0", id: 0, method: "tools/list", params });
      if ("error" in response)
        throw new Error(`upstream "${link.spec.id}" tools/list failed: ${response.error.message}`);
      const result = response.result as { tools?: Tool[]; nextCursor?: string };
      tools.push(...(result.tools ?? []));
      cursor = result.nextCursor;
    } while (cursor !== undefined);
    return tools;
  }

  private async callTool(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    const name = String(request.params?.name ?? "");
    const route = await this.route(name);
    if (route === undefined || this.core.enforcer.policy.isHidden(route.link.spec.id, route.tool)) {
      return errorResponse(request.id, ErrorCodes.invalidParams, `Unknown tool: ${name}`);
    }
    return handleToolCall(
      {
        core: this.core,
        session: this.info,
        forward: (link, upstreamRequest) => this.forward(link, upstreamRequest, this.core.callTimeoutMs),
        progress: (agentRequest, progress, message) => this.progress(agentRequest, progress, message),
      },
      request,
      route,
    );
  }

  /** With one upstream every name goes to it; with several, the catalog says which (listing if needed). */
  private async route(name: string): Promise<ToolRoute | undefined> {
    if (this.single) return this.catalog.tool(name) ?? { link: this.primary, tool: name };
    if (!this.catalog.knowsTools) await this.refreshCatalog();
    return this.catalog.tool(name);
  }

  private async list(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    const key =
      request.method === "prompts/list"
        ? "prompts"
        : request.method === "resources/list"
          ? "resources"
          : "resourceTemplates";
    const responses = await Promise.all(
      this.links.map(async (link) => ({
        link,
        response: await this.forward(link, request).catch(() => undefined),
      })),
    );
    const items: Record<string, unknown>[] = [];
    for (const { link, response } of responses) {
      if (response === undefined || "error" in response) continue;
      const listed = ((response.result as Record<string, unknown>)[key] ?? []) as Record<string, unknown>[];
      items.push(...listed);
      if (key === "resources")
        this.catalog.addResources(
          link,
          listed.map((r) => String(r.uri)),
        );
      if (key === "prompts")
        this.catalog.addPrompts(
          link,
          listed.map((p) => String(p.name)),
        );
    }
    if (this.single)
      return (responses[0]?.response ??
        errorResponse(request.id, ErrorCodes.internalError, "upstream unavailable")) as JSONRPCResponse;
    return resultResponse(request.id, { [key]: items });
  }

  private async broadcast(request: JSONRPCRequest): Promise<JSONRPCResponse> {
    const responses = await Promise.all(this.links.map((link) => this.forward(link, request)));
    return responses.find((response) => "error" in response) ?? resultResponse(request.id, {});
  }

  /** Sends an agent request upstream under the link's own id and answers under the agent's id. */
  private async forward(
    link: UpstreamLink,
    request: JSONRPCRequest,
    timeoutMs?: number,
  ): Promise<JSONRPCResponse> {
    const token = (request.params?._meta as { progressToken?: string | number } | undefined)?.progressToken;
    if (token !== undefined) this.progressOwners.set(token, request.id);
    try {
      const response = await link.request(
        request,
        (upstreamId) => this.inFlight.set(request.id, { link, upstreamId }),
        timeoutMs,
      );
      return { ...response, id: request.id };
    } catch (error) {
      if (error instanceof UpstreamUnavailable && request.method !== "tools/call") {
        return errorResponse(request.id, ErrorCodes.internalError, error.message);
      }
      throw error;
    } finally {
      this.inFlight.delete(request.id);
      if (token !== undefined) this.progressOwners.delete(token);
    }
  }

  private progress(request: JSONRPCRequest, progress: number, message: string): void {
    const token = (request.params?._meta as { progressToken?: string | number } | undefined)?.progressToken;
    if (token === undefined) return;
    this.toAgent(
      {
        jsonrpc: "2.0",
        method: "notifications/progress",
        params: { progressToken: token, progress, message },
      },
      request.id,
    );
  }

  private relayAgentNotification(notification: JSONRPCNotification): void {
    if (notification.method === "notifications/initialized") return; // each link sent its own
    if (notification.method === "notifications/cancelled") {
      const requestId = notification.params?.requestId as RequestId;
      const target = this.inFlight.get(requestId);
      const reason = String(notification.params?.reason ?? "cancelled by the agent");
      target?.link.cancel(target.upstreamId, reason);
      return;
    }
    for (const link of this.links) void link.notify(notification);
  }

  private relayServerRequest(link: UpstreamLink, request: JSONRPCRequest): void {
    const agentId = this.nextAgentId++;
    this.relayedToAgent.set(agentId, { link, upstreamId: request.id });
    this.toAgent({ ...request, id: agentId }, this.requestInFlightOn(link));
  }

  private answerServerRequest(response: JSONRPCResponse): void {
    const relayed = typeof response.id === "number" ? this.relayedToAgent.get(response.id) : undefined;
    if (relayed === undefined) return;
    this.relayedToAgent.delete(response.id as number);
    void relayed.link.respond({ ...response, id: relayed.upstreamId });
  }

  private relayServerNotification(link: UpstreamLink, notification: JSONRPCNotification): void {
    const params = notification.params as Record<string, unknown> | undefined;
    if (notification.method === "notifications/progress") {
      const owner = this.progressOwners.get(params?.progressToken as string | number);
      this.toAgent(notification, owner);
      return;
    }
    if (notification.method === "notifications/cancelled") {
      const entry = [...this.relayedToAgent].find(
        ([, r]) => r.link === link && r.upstreamId === params?.requestId,
      );
      if (entry !== undefined) this.toAgent({ ...notification, params: { ...params, requestId: entry[0] } });
      return;
    }
    this.toAgent(notification, this.requestInFlightOn(link));
  }

  /** The most recent agent request being served by this link: server messages during it belong to its stream. */
  private requestInFlightOn(link: UpstreamLink): RequestId | undefined {
    let latest: RequestId | undefined;
    for (const [agentId, target] of this.inFlight) if (target.link === link) latest = agentId;
    return latest;
  }
}

function mergeInitializeResults(links: UpstreamLink[], version: string): Record<string, unknown> {
  const results = links.map((link) => link.initializeResult ?? {});
  const capabilities: Record<string, unknown> = {};
  for (const result of results) Object.assign(capabilities, result.capabilities as Record<string, unknown>);
  const instructions = results
    .map((result, i) =>
      typeof result.instructions === "string" ? `[${links[i]?.spec.id}] ${result.instructions}` : "",
    )
    .filter((text) => text !== "")
    .join("\n");
  return {
    protocolVersion: results[0]?.protocolVersion,
    capabilities,
    serverInfo: { name: "tollgate", version },
    ...(instructions === "" ? {} : { instructions }),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
