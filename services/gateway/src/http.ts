/**
 * The HTTP shell: Streamable HTTP at /mcp for agents (bearer tokens), the approvals API for people
 * (admin tokens), and a health endpoint. Binds to 127.0.0.1 by default and checks Host and Origin
 * against DNS rebinding.
 */
import { randomUUID } from "node:crypto";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Gateway } from "./gateway.js";
import { type AdminCredential, type AgentCredential, bearerToken, findByToken } from "./identity.js";

export interface HttpOptions {
  host?: string;
  port?: number;
  agents: AgentCredential[];
  admins: AdminCredential[];
  /** Extra Host header values to accept (besides 127.0.0.1, localhost and [::1] on the bound port). */
  allowedHosts?: string[];
  allowedOrigins?: string[];
}

export interface HttpGateway {
  url: string;
  app: FastifyInstance;
  close(): Promise<void>;
}

interface HttpSession {
  transport: StreamableHTTPServerTransport;
  agent: string;
}

const JSONRPC_PARSE_ERROR = -32700;

export async function serveHttp(gateway: Gateway, options: HttpOptions): Promise<HttpGateway> {
  const host = options.host ?? "127.0.0.1";
  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 });
  const sessions = new Map<string, HttpSession>();
  const allowed = { hosts: new Set<string>(), origins: new Set<string>() };

  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(
        Object.assign(new Error(`Parse error: ${(error as Error).message}`), {
          statusCode: 400,
          jsonrpc: true,
        }),
        undefined,
      );
    }
  });
  app.setErrorHandler((error: Error & { statusCode?: number; jsonrpc?: boolean }, _request, reply) => {
    if (error.jsonrpc) {
      return reply
        .code(400)
        .send({ jsonrpc: "2.0", id: null, error: { code: JSONRPC_PARSE_ERROR, message: error.message } });
    }
    return reply.code(error.statusCode ?? 500).send({ error: error.message });
  });
  app.addHook("onRequest", async (request, reply) => {
    const problem = checkHostAndOrigin(request, allowed);
    if (problem !== undefined) return reply.code(403).send({ error: problem });
  });

  app.all("/mcp", async (request, reply) => {
    const agent = findByToken(options.agents, bearerToken(request.headers.authorization));
    if (agent === undefined) return unauthorized(reply, "a valid agent bearer token is required");
    const sessionId = header(request, "mcp-session-id");
    let session = sessionId === undefined ? undefined : sessions.get(sessionId);
    if (sessionId !== undefined && session === undefined) {
      return reply
        .code(404)
        .send({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Session not found" } });
    }
    if (session !== undefined && session.agent !== agent.agent) {
      return reply.code(403).send({ error: "this session belongs to another agent" });
    }
    if (session === undefined) {
      if (request.method !== "POST")
        return reply.code(400).send({ error: "start a session with an initialize request" });
      session = await openHttpSession(gateway, agent, sessions);
    }
    reply.hijack();
    await session.transport.handleRequest(request.raw, reply.raw, request.body);
  });

  registerApprovalRoutes(app, gateway, options.admins);
  app.get("/healthz", async () => ({
    status: gateway.core.recorder.acceptsCalls ? "ok" : "failing_closed",
    sessions: sessions.size,
    eventsBuffered: gateway.core.recorder.buffered,
    eventsLost: gateway.core.recorder.dropped,
    policy: gateway.core.enforcer.policy.digest,
  }));

  const address = await app.listen({ host, port: options.port ?? 0 });
  const port = new URL(address).port;
  for (const name of ["127.0.0.1", "localhost", "[::1]", host, ...(options.allowedHosts ?? [])]) {
    allowed.hosts.add(name.includes(":") && !name.startsWith("[") ? name : `${name}:${port}`);
  }
  for (const name of ["127.0.0.1", "localhost", host]) allowed.origins.add(`http://${name}:${port}`);
  for (const origin of options.allowedOrigins ?? []) allowed.origins.add(origin);
  return {
    url: `http://${host}:${port}/mcp`,
    app,
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
      await app.close();
    },
  };
}

async function openHttpSession(
  gateway: Gateway,
  agent: AgentCredential,
  sessions: Map<string, HttpSession>,
): Promise<HttpSession> {
  const id = randomUUID();
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => id });
  const session: HttpSession = { transport, agent: agent.agent };
  sessions.set(id, session);
  const opened = await gateway.openSession(transport, {
    id,
    agent: agent.agent,
    grant: agent.grant,
    transport: "http",
  });
  void opened.whenClosed.then(() => sessions.delete(id));
  return session;
}

function registerApprovalRoutes(app: FastifyInstance, gateway: Gateway, admins: AdminCredential[]): void {
  const admin = (request: FastifyRequest) => findByToken(admins, bearerToken(request.headers.authorization));
  app.get("/approvals", async (request, reply) => {
    if (admin(request) === undefined) return unauthorized(reply, "an admin bearer token is required");
    return { approvals: gateway.core.approvals.pending() };
  });
  app.post<{ Params: { id: string; verdict: "approve" | "deny" }; Body: { note?: string } | undefined }>(
    "/approvals/:id/:verdict",
    {
      schema: {
        params: {
          type: "object",
          properties: {
            id: { type: "string", minLength: 1 },
            verdict: { type: "string", enum: ["approve", "deny"] },
          },
          required: ["id", "verdict"],
        },
        body: {
          type: ["object", "null"],
          properties: { note: { type: "string", maxLength: 2000 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const person = admin(request);
      if (person === undefined) return unauthorized(reply, "an admin bearer token is required");
      const resolution = request.params.verdict === "approve" ? "approved" : "denied";
      const approval = gateway.core.approvals.resolve(
        request.params.id,
        resolution,
        person.name,
        request.body?.note,
      );
      if (approval === undefined)
        return reply.code(404).send({ error: `no call is waiting for approval ${request.params.id}` });
      return { id: approval.id, resolution, by: person.name };
    },
  );
}

function checkHostAndOrigin(
  request: FastifyRequest,
  allowed: { hosts: Set<string>; origins: Set<string> },
): string | undefined {
  if (allowed.hosts.size === 0) return undefined; // still binding
  const host = request.headers.host;
  if (host === undefined || !allowed.hosts.has(host)) return `host "${host ?? ""}" is not allowed`;
  const origin = header(request, "origin");
  if (origin !== undefined && !allowed.origins.has(origin)) return `origin "${origin}" is not allowed`;
  return undefined;
}

function unauthorized(reply: FastifyReply, message: string) {
  return reply.code(401).header("www-authenticate", 'Bearer realm="tollgate"').send({ error: message });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
