/**
 * The forensics API: fastify with JSON Schemas on every route (validation, serialisation and the
 * OpenAPI document at /api/v1/openapi.json), bearer tokens with roles on everything under /api/v1,
 * and one error body everywhere.
 */
import swagger from "@fastify/swagger";
import { StoreUnavailableError } from "@tollgate/store";
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { allows, bearerToken, findCredential, type Role } from "./auth.js";
import { ApiError, type ErrorBody } from "./errors.js";
import type { ApiOptions } from "./options.js";
import { approvalRoutes } from "./routes/approvals.js";
import { queryRoutes } from "./routes/queries.js";
import { replayRoutes } from "./routes/replays.js";
import { sqlRoutes } from "./routes/sql.js";
import { uiRoutes } from "./ui.js";

export const API_PREFIX = "/api/v1";
export const API_VERSION = "0.1.0";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The role a route needs; `read` when not said. */
    role?: Role;
  }
  interface FastifyRequest {
    /** The caller's bearer token, once authenticated (passed on to the gateway for approvals). */
    bearer?: string;
  }
}

export async function createApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    // Unknown parameters are errors, not silently dropped: a misspelt filter must not widen an answer.
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: "array",
        useDefaults: true,
        allErrors: false,
        // A time in a body is epoch ms or ISO 8601: `type: ["integer", "string"]`.
        allowUnionTypes: true,
      },
    },
  });
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply, options));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` }),
  );
  await app.register(swagger, {
    // Only the API's routes (all tagged) are documented, not the UI's static files.
    hideUntagged: true,
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "tollgate forensics API",
        version: API_VERSION,
        description:
          "Sessions, calls, argument search, rollups, events with their hash-chain position, approvals, replay reports and a read-only SQL console over tollgate's event store.",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
  });

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  // The web UI's static files need no token: the page signs in and sends one with each API call.
  await app.register(uiRoutes);

  await app.register(
    async (api) => {
      api.addHook("onRequest", async (request, reply) => authenticate(request, reply, options));
      api.get(
        "/openapi.json",
        { schema: { hide: true } },
        async () => app.swagger() as unknown as Record<string, unknown>,
      );
      await queryRoutes(api, options);
      await approvalRoutes(api, options);
      await sqlRoutes(api, options);
      await replayRoutes(api, options);
    },
    { prefix: API_PREFIX },
  );
  return app;
}

async function authenticate(request: FastifyRequest, reply: FastifyReply, options: ApiOptions) {
  const token = bearerToken(request.headers.authorization);
  const credential = findCredential(options.credentials, token);
  if (credential === undefined) {
    const message =
      token === undefined
        ? "a bearer token is required (Authorization: Bearer …)"
        : "this bearer token is not accepted";
    return reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="tollgate"')
      .send({ error: "unauthorized", message } satisfies ErrorBody);
  }
  const needed = request.routeOptions.config.role ?? "read";
  if (!allows(credential, needed)) {
    return reply.code(403).send({
      error: "forbidden",
      message: `this needs an ${needed} token; yours is a ${credential.role} token`,
    } satisfies ErrorBody);
  }
  request.bearer = token;
}

function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply, options: ApiOptions) {
  if (error instanceof ApiError) return reply.code(error.statusCode).send(error.body());
  if (error.validation !== undefined) return reply.code(400).send(validationBody(error));
  if (error instanceof StoreUnavailableError)
    return reply.code(503).send({ error: "store_unavailable", message: error.message } satisfies ErrorBody);
  const status = error.statusCode ?? 500;
  if (status < 500)
    return reply.code(status).send({ error: "bad_request", message: error.message } satisfies ErrorBody);
  options.log?.(
    `tollgate api: ${request.method} ${request.url.split("?")[0]} failed: ${error.stack ?? error.message}`,
  );
  return reply
    .code(500)
    .send({ error: "internal", message: "the API failed to answer; see its log" } satisfies ErrorBody);
}

/** fastify's schema errors, reshaped to name the field as the caller wrote it. */
export function validationBody(error: FastifyError): ErrorBody {
  const [first] = error.validation ?? [];
  const where = error.validationContext === "querystring" ? "parameter" : "field";
  if (first === undefined) return { error: "bad_request", message: error.message };
  const params = first.params as Record<string, unknown>;
  const path = first.instancePath
    .split("/")
    .filter((part) => part !== "")
    .join(".");
  if (first.keyword === "required") {
    const field = [path, String(params.missingProperty)].filter((part) => part !== "").join(".");
    return { error: "bad_request", message: `${field} is required`, field };
  }
  if (first.keyword === "additionalProperties") {
    const field = [path, String(params.additionalProperty)].filter((part) => part !== "").join(".");
    return { error: "bad_request", message: `unknown ${where} "${field}"`, field };
  }
  const field = path === "" ? (error.validationContext ?? "body") : path;
  const detail =
    first.keyword === "enum"
      ? `must be one of: ${(params.allowedValues as unknown[]).join(", ")}`
      : first.keyword === "pattern" && field.match(/^(from|to)$/)
        ? "must be epoch milliseconds or an ISO 8601 time"
        : (first.message ?? "is not valid");
  return { error: "bad_request", message: `${field} ${detail}`, field };
}
