/**
 * Who may ask what, and how mistakes are answered: bearer tokens with roles, 401/403, 400s that
 * name the field, a health endpoint that says nothing, the OpenAPI document, and one test over a
 * real socket.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startApi } from "../src/index.js";
import {
  ADMIN_TOKEN,
  admin,
  CREDENTIALS,
  type Fixture,
  get,
  openFixture,
  post,
  READ_TOKEN,
} from "./support/fixture.js";

let fx: Fixture;
beforeAll(async () => {
  fx = await openFixture();
});
afterAll(async () => {
  await fx?.close();
});

describe("authentication and roles", () => {
  test("no token is a 401 with a challenge; a wrong token is a 401", async () => {
    const none = await fx.app.inject({ method: "GET", url: "/api/v1/calls" });
    expect(none.statusCode).toBe(401);
    expect(none.headers["www-authenticate"]).toBe('Bearer realm="tollgate"');
    expect(none.json()).toEqual({
      error: "unauthorized",
      message: "a bearer token is required (Authorization: Bearer …)",
    });
    const wrong = await get(fx.app, "/api/v1/calls", { authorization: "Bearer not-a-token" });
    expect(wrong).toEqual({
      status: 401,
      body: { error: "unauthorized", message: "this bearer token is not accepted" },
    });
    const notBearer = await get(fx.app, "/api/v1/calls", { authorization: `Basic ${READ_TOKEN}` });
    expect(notBearer.status).toBe(401);
  });

  test("every route under /api/v1 needs a token, even the OpenAPI document and bad input", async () => {
    for (const url of [
      "/api/v1/sessions",
      "/api/v1/openapi.json",
      "/api/v1/calls?limit=0",
      "/api/v1/events/x",
    ]) {
      expect((await fx.app.inject({ method: "GET", url })).statusCode).toBe(401);
    }
    expect(
      (await fx.app.inject({ method: "POST", url: "/api/v1/sql", payload: { sql: "DROP TABLE events" } }))
        .statusCode,
    ).toBe(401);
  });

  test("a read token may read but not decide approvals: 403", async () => {
    expect((await get(fx.app, "/api/v1/overview")).status).toBe(200);
    const { status, body } = await post(fx.app, "/api/v1/approvals/abc/approve", {});
    expect(status).toBe(403);
    expect(body).toEqual({ error: "forbidden", message: "this needs an admin token; yours is a read token" });
  });

  test("an admin token may read too", async () => {
    expect((await get(fx.app, "/api/v1/rollups/tools", admin)).status).toBe(200);
  });

  test("with no credentials configured, nothing is served", async () => {
    const { createApi } = await import("../src/index.js");
    const closed = await createApi({ store: fx.store, credentials: [] });
    const response = await closed.inject({ method: "GET", url: "/api/v1/calls", headers: admin });
    expect(response.statusCode).toBe(401);
    await closed.close();
  });

  test("the health endpoint needs no token and reveals nothing", async () => {
    const response = await fx.app.inject({ method: "GET", url: "/healthz" });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok" });
  });
});

describe("bad input is a 400 naming the field", () => {
  test.each([
    ["/api/v1/calls?limit=0", "limit", /limit must be >= 1/],
    ["/api/v1/calls?limit=many", "limit", /limit must be integer/],
    [
      "/api/v1/calls?decision=maybe",
      "decision",
      /decision must be one of: allow, deny, rate_limited, approval_required/,
    ],
    ["/api/v1/calls?from=yesterday", "from", /from must be epoch milliseconds or an ISO 8601 time/],
    [
      "/api/v1/calls?from=2026-02-30T00:00:00Z&to=1",
      "from",
      /from must be epoch milliseconds or an ISO 8601 time/,
    ],
    ["/api/v1/calls?from=2000&to=1000", "to", /to .* must be after from/],
    ["/api/v1/calls?agnet=alice", "agnet", /unknown parameter "agnet"/],
    ["/api/v1/sessions?tool=x", "tool", /unknown parameter "tool"/],
    ["/api/v1/overview?bucket=week", "bucket", /bucket must be one of: minute, hour, day/],
    ["/api/v1/search?path=command&contains=", "contains", /contains must NOT have fewer than 1 characters/],
    ["/api/v1/sessions/x/timeline?limit=6000", "limit", /limit must be <= 5000/],
    ["/api/v1/events/not-a-uuid", "id", /id must match format "uuid"/],
  ])("GET %s", async (url, field, message) => {
    const { status, body } = await get(fx.app, url);
    expect(status).toBe(400);
    expect(body.error).toBe("bad_request");
    expect(body.field).toBe(field);
    expect(body.message).toMatch(message);
  });

  test("a body that is not JSON, or has unknown fields", async () => {
    const garbled = await fx.app.inject({
      method: "POST",
      url: "/api/v1/sql",
      headers: { ...admin, "content-type": "application/json" },
      payload: "{not json",
    });
    expect(garbled.statusCode).toBe(400);
    expect(garbled.json().error).toBe("bad_request");
    const extra = await post(fx.app, "/api/v1/sql", { sql: "SELECT 1", format: "CSV" });
    expect(extra).toEqual({
      status: 400,
      body: { error: "bad_request", message: 'unknown field "format"', field: "format" },
    });
  });

  test("an unknown route is a 404 in the same shape", async () => {
    expect(await get(fx.app, "/api/v1/nothing")).toEqual({
      status: 404,
      body: { error: "not_found", message: "no route GET /api/v1/nothing" },
    });
  });

  test("user values are bound, never spliced into SQL", async () => {
    const sneaky = "x' OR 1=1 --";
    const { status, body } = await get(fx.app, `/api/v1/calls?agent=${encodeURIComponent(sneaky)}`);
    expect(status).toBe(200);
    expect(body.calls).toEqual([]);
    const path = await get(fx.app, `/api/v1/search?path=${encodeURIComponent("a'), 1) OR (1")}&equals=1`);
    expect(path).toEqual({ status: 200, body: { calls: [] } });
  });
});

describe("approvals without a gateway", () => {
  test("503 with a clear message", async () => {
    const { status, body } = await get(fx.app, "/api/v1/approvals");
    expect(status).toBe(503);
    expect(body.error).toBe("gateway_unavailable");
    expect(body.message).toMatch(/no gateway control URL is configured/);
  });
});

describe("the OpenAPI document", () => {
  test("is OpenAPI 3.1 with every route, its parameters, responses and bearer security", async () => {
    const { status, body: doc } = await get(fx.app, "/api/v1/openapi.json");
    expect(status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("tollgate forensics API");
    expect(doc.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer" });
    const operations = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [
        "GET /api/v1/approvals",
        "POST /api/v1/approvals/{id}/approve",
        "POST /api/v1/approvals/{id}/deny",
        "GET /api/v1/calls",
        "GET /api/v1/events/{id}",
        "GET /api/v1/overview",
        "GET /api/v1/rollups/agents",
        "GET /api/v1/rollups/approvals",
        "GET /api/v1/rollups/hours",
        "GET /api/v1/rollups/rate-limits",
        "GET /api/v1/rollups/tools",
        "GET /api/v1/search",
        "GET /api/v1/sessions",
        "GET /api/v1/sessions/{id}/timeline",
        "POST /api/v1/sql",
        ...REPLAY_OPERATIONS,
      ].sort(),
    );
    // Every documented operation is a route the server has.
    for (const operation of operations) {
      const [method, path] = operation.split(" ") as [string, string];
      const url = path.replace(/\{(\w+)\}/g, ":$1");
      expect(fx.app.hasRoute({ method: method as "GET" | "POST", url }), operation).toBe(true);
    }
    for (const [path, item] of Object.entries(
      doc.paths as Record<string, Record<string, OpenApiOperation>>,
    )) {
      for (const [method, operation] of Object.entries(item)) {
        expect(operation.responses?.["200"], `${method} ${path} documents its answer`).toBeDefined();
        expect(operation.responses?.["401"], `${method} ${path} documents 401`).toBeDefined();
        expect(operation.summary, `${method} ${path} has a summary`).toBeTruthy();
        for (const parameter of operation.parameters ?? []) {
          expect(["query", "path"]).toContain(parameter.in);
          expect(parameter.schema).toBeDefined();
        }
      }
    }
    const calls = doc.paths["/api/v1/calls"].get as OpenApiOperation;
    expect(calls.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        "agent",
        "grant",
        "session",
        "server",
        "tool",
        "decision",
        "rule",
        "from",
        "to",
        "limit",
        "cursor",
      ]),
    );
    // Every $ref points at something in the document.
    const text = JSON.stringify(doc);
    for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
      const target = ref!
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
      expect(target, ref).toBeDefined();
    }
  });
});

interface OpenApiOperation {
  summary?: string;
  parameters?: { name: string; in: string; schema?: unknown }[];
  responses?: Record<string, unknown>;
}

const REPLAY_OPERATIONS = [
  "GET /api/v1/replays",
  "POST /api/v1/replays",
  "GET /api/v1/replays/{id}",
  "GET /api/v1/replays/{id}/html",
];

describe("over a real socket", () => {
  test("listens on 127.0.0.1 by default and answers with the same bodies", async () => {
    const api = await startApi({ store: fx.store, credentials: CREDENTIALS, port: 0 });
    try {
      expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const denied = await fetch(`${api.url}/api/v1/calls`);
      expect(denied.status).toBe(401);
      const response = await fetch(`${api.url}/api/v1/calls?decision=deny`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/application\/json/);
      const body = (await response.json()) as { calls: { decision: string }[] };
      expect(body.calls.map((call) => call.decision)).toEqual(["deny", "deny", "deny"]);
    } finally {
      await api.close();
    }
  });
});
