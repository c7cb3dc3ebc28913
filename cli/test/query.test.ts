/**
 * `tollgate query`, `tollgate sql` and `tollgate api`: the same named queries and console from the
 * command line, over the store opened in this process and through a real `tollgate api` process;
 * and, while that process holds the embedded store, a clear message pointing at its API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  EVENT_SCHEMA,
  EventChain,
  type EventOfType,
  newEventId,
  type TollgateEvent,
  type UnsealedEvent,
} from "@tollgate/events";

import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../test/support/free-port.js";
import { storeEvents } from "../../test/support/store.js";
import { exited, healthy } from "../../test/support/waiting.js";
import { ExitCode, main, type Output } from "../src/index.js";

const bin = fileURLToPath(new URL("../bin/tollgate.mjs", import.meta.url));
const HOUR = 3_600_000;
const t0 = Math.floor((Date.now() - 2 * 86_400_000) / HOUR) * HOUR;

type Outcome = EventOfType<"call.decided">["payload"]["decision"]["outcome"];

/** A small, realistic record: one gateway instance, two agents' sessions, sealed in one chain. */
function record(): { events: TollgateEvent[]; sessions: { claude: string; cursor: string } } {
  const chain = new EventChain();
  const events: TollgateEvent[] = [];
  const sessions = { claude: `s-claude-${newEventId()}`, cursor: `s-cursor-${newEventId()}` };
  const call = (agent: "claude" | "cursor", tool: string, args: unknown, outcome: Outcome, at: number) => {
    const session = { id: sessions[agent], agent, grant: "ops", transport: "http" as const };
    const callId = newEventId();
    const envelope = (type: TollgateEvent["type"], time: number) => ({
      schema: EVENT_SCHEMA,
      id: newEventId(),
      type,
      time,
      gateway: { instance: "gw-cli-test", version: "0.1.0" },
      session,
    });
    events.push(
      chain.seal({
        ...envelope("call.decided", at),
        payload: {
          call: {
            id: callId,
            requestId: 1,
            server: "k8s",
            tool,
            arguments: args,
            argumentsHash: "sha256:x",
            redacted: [],
          },
          decision: {
            outcome,
            rule: outcome === "allow" ? `tools.${tool}` : "tools.kube_executor.deny_if[0]",
            basis: outcome === "allow" ? "rule" : "arguments",
            reason: outcome === "allow" ? "" : "kubectl delete is not allowed through agents",
            counters: [],
            at,
            policy: { name: "k8s-production", digest: "sha256:p" },
          },
        },
      } as UnsealedEvent),
      chain.seal({
        ...envelope("call.completed", at + 5),
        payload: { callId, status: outcome === "allow" ? "ok" : "denied", latencyMs: 5, resultBytes: 10 },
      } as UnsealedEvent),
    );
  };
  call("claude", "k8s_get_pods", { namespace: "shop" }, "allow", t0);
  call("claude", "kube_executor", { command: "kubectl delete pod web-1" }, "deny", t0 + 60_000);
  call("claude", "kube_executor", { command: "kubectl get pods" }, "allow", t0 + 120_000);
  call("cursor", "kube_executor", { command: "kubectl delete ns shop" }, "deny", t0 + HOUR);
  return { events, sessions };
}

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    const code = await main(args, output);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

let dir: string;
let data: ReturnType<typeof record>;

beforeAll(async () => {
  dir = join(await mkdtemp(join(tmpdir(), "tollgate-cli-query-")), "clickhouse");
  data = record();
  await storeEvents(dir, data.events);
});

describe("tollgate query, on the store opened here", () => {
  test("search: every kube_executor call whose command contains delete, as JSON", async () => {
    const result = await run([
      "query",
      "search",
      "--store",
      dir,
      "--tool",
      "kube_executor",
      "--path",
      "command",
      "--contains",
      "delete",
      "--json",
    ]);
    expect(result.code).toBe(ExitCode.ok);
    const answer = JSON.parse(result.out);
    expect(
      answer.calls.map((c: { agent: string; arguments: { command: string } }) => [
        c.agent,
        c.arguments.command,
      ]),
    ).toEqual([
      ["cursor", "kubectl delete ns shop"],
      ["claude", "kubectl delete pod web-1"],
    ]);
  });

  test("sessions as a table", async () => {
    const result = await run(["query", "sessions", "--store", dir]);
    expect(result.code).toBe(ExitCode.ok);
    const lines = result.out.split("\n");
    expect(lines[0]).toMatch(
      /^session\s+agent\s+grant\s+first\s+last\s+calls\s+denials\s+rate-limited\s+approvals$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(`^${data.sessions.cursor}\\s+cursor\\s+ops\\s.*\\s1\\s+1\\s+0\\s+0$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^${data.sessions.claude}\\s+claude\\s+ops\\s.*\\s3\\s+1\\s+0\\s+0$`),
    );
  });

  test("a session's timeline, and the next page's cursor", async () => {
    const result = await run(["query", "timeline", data.sessions.claude, "--store", dir, "--limit", "4"]);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toContain(
      "k8s:kube_executor → deny [tools.kube_executor.deny_if[0]] kubectl delete is not allowed",
    );
    expect(result.out.split("\n")).toHaveLength(5);
    const cursor = /more: add --cursor (\S+)/.exec(result.err)?.[1];
    expect(cursor).toBeDefined();
    const rest = await run([
      "query",
      "timeline",
      data.sessions.claude,
      "--store",
      dir,
      "--cursor",
      cursor!,
      "--json",
    ]);
    expect(JSON.parse(rest.out).events.map((e: { seq: number }) => e.seq)).toEqual([4, 5]);
  });

  test("rollups, the overview and one event", async () => {
    const tools = JSON.parse((await run(["query", "rollup-tools", "--store", dir, "--json"])).out);
    expect(tools.rows.find((r: { tool: string }) => r.tool === "kube_executor")).toMatchObject({
      calls: 3,
      denials: 2,
    });
    const overview = await run([
      "query",
      "overview",
      "--store",
      dir,
      "--from",
      String(t0),
      "--to",
      String(t0 + 2 * HOUR),
    ]);
    expect(overview.out).toMatch(
      /4 calls, 2 denials, 0 rate-limited, 0 held for approval; 2 sessions, 2 agents/,
    );
    const event = await run(["query", "event", data.events[2]!.id, "--store", dir]);
    expect(event.code).toBe(ExitCode.ok);
    expect(event.out).toContain("chain: instance gw-cli-test, seq 2, verifies");
    expect(event.out).toContain(`previous ${data.events[1]!.id}, next ${data.events[3]!.id}`);
  });

  test("--since counts back from now", async () => {
    const recent = JSON.parse((await run(["query", "calls", "--store", dir, "--since", "1h", "--json"])).out);
    expect(recent.calls).toEqual([]);
    const week = JSON.parse((await run(["query", "calls", "--store", dir, "--since", "7d", "--json"])).out);
    expect(week.calls).toHaveLength(4);
  });

  test("bad filters are usage errors naming the field; an unknown event exits 1", async () => {
    const bad = await run(["query", "calls", "--store", dir, "--from", "last tuesday"]);
    expect(bad.code).toBe(ExitCode.usage);
    expect(bad.err).toContain(
      "tollgate query calls: from must be epoch milliseconds or an ISO 8601 time (from)",
    );
    const foreign = await run(["query", "sessions", "--store", dir, "--tool", "x"]);
    expect(foreign).toMatchObject({
      code: ExitCode.usage,
      err: expect.stringContaining('unknown parameter "tool"'),
    });
    const missing = await run(["query", "event", "01890000-0000-7000-8000-000000000000", "--store", dir]);
    expect(missing.code).toBe(ExitCode.failed);
    expect(missing.err).toContain("no event 01890000-0000-7000-8000-000000000000 is stored");
    const noId = await run(["query", "timeline", "--store", dir]);
    expect(noId).toMatchObject({
      code: ExitCode.usage,
      err: expect.stringContaining("needs the session id"),
    });
    const duration = await run(["query", "calls", "--store", dir, "--since", "a while"]);
    expect(duration).toMatchObject({
      code: ExitCode.usage,
      err: expect.stringContaining("is not a duration"),
    });
  });

  test("no store there is a usage error, and does not create one", async () => {
    const result = await run(["query", "sessions", "--store", join(dir, "..", "nowhere")]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.err).toContain("no store at");
  });
});

describe("tollgate sql, on the store opened here", () => {
  test("a SELECT as a table, CSV and JSON", async () => {
    const statement =
      "SELECT tool, count() AS n FROM events FINAL WHERE type = 'call.decided' GROUP BY tool ORDER BY tool";
    const asTable = await run(["sql", statement, "--store", dir]);
    expect(asTable.code).toBe(ExitCode.ok);
    expect(asTable.out.split("\n").map((line) => line.split(/\s+/))).toEqual([
      ["tool", "n"],
      ["k8s_get_pods", "1"],
      ["kube_executor", "3"],
    ]);
    const csv = await run(["sql", statement, "--store", dir, "--format", "csv"]);
    expect(csv.out).toBe("tool,n\nk8s_get_pods,1\nkube_executor,3");
    const json = JSON.parse((await run(["sql", statement, "--store", dir, "--json"])).out);
    expect(json.columns).toEqual([
      { name: "tool", type: "LowCardinality(String)" },
      { name: "n", type: "UInt64" },
    ]);
  });

  test.each([
    ["DROP TABLE events", /not DROP/],
    ["INSERT INTO events SELECT * FROM events", /not INSERT/],
    ["SELECT * FROM file('/etc/passwd')", /table functions are not allowed \(file\)/],
    ["SELECT 1; DROP TABLE events", /Multi-statements are not allowed/],
  ])("refuses %s with exit 2", async (statement, message) => {
    const result = await run(["sql", statement, "--store", dir]);
    expect(result.code).toBe(ExitCode.invalidInput);
    expect(result.err).toMatch(message);
  });

  test("the row cap says so", async () => {
    const result = await run(["sql", "SELECT event_id FROM events", "--store", dir, "--limit", "3"]);
    expect(result.out.split("\n")).toHaveLength(4);
    expect(result.err).toContain("only the first 3 rows are shown");
  });
});

describe("tollgate api in its own process", () => {
  let child: ChildProcess;
  let url: string;
  const env = { TOLLGATE_API_TOKEN: "cli-read-token", TOLLGATE_ADMIN_TOKEN: "cli-admin-token" };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [bin, "api", "--store", dir, "--listen", `127.0.0.1:${port}`], {
      env: { ...process.env, ...env, CLICKHOUSE_URL: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    await healthy(port);
  });
  afterAll(async () => {
    child?.kill("SIGINT");
    if (child !== undefined) expect(await exited(child)).toBe(0);
  });

  test("query and sql go through it with --api and the read token", async () => {
    const sessions = await run(["query", "sessions", "--api", url, "--json"], env);
    expect(sessions.code).toBe(ExitCode.ok);
    expect(JSON.parse(sessions.out).sessions).toHaveLength(2);
    const sql = await run(["sql", "SELECT count() AS n FROM events", "--api", url, "--format", "tsv"], env);
    expect(sql.out).toBe("n\n8");
  });

  test("while it holds the embedded store, --store says who holds it and to use the API", async () => {
    const result = await run(["query", "sessions", "--store", dir]);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.err).toContain(`process ${child.pid} holds it`);
    expect(result.err).toContain("the store is locked by the process that has it open");
    expect(result.err).toContain(
      "go through its API: --api URL (tollgate up serves it at http://127.0.0.1:8788",
    );
  });

  test("a wrong token, or none, is refused plainly", async () => {
    const wrong = await run(["query", "calls", "--api", url], {
      TOLLGATE_API_TOKEN: "nope",
      TOLLGATE_ADMIN_TOKEN: undefined,
    });
    expect(wrong.code).toBe(ExitCode.usage);
    expect(wrong.err).toContain("this bearer token is not accepted");
    const none = await run(["query", "calls", "--api", url], {
      TOLLGATE_API_TOKEN: undefined,
      TOLLGATE_ADMIN_TOKEN: undefined,
    });
    expect(none).toMatchObject({ code: ExitCode.usage, err: expect.stringContaining("--api needs a token") });
  });

  test("an API that is not there is a usage error naming it", async () => {
    const port = await freePort();
    const result = await run(["query", "calls", "--api", `http://127.0.0.1:${port}`], env);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.err).toContain(`cannot reach the API at http://127.0.0.1:${port}`);
  });
});

test("tollgate api refuses to start without tokens", async () => {
  const result = await run(["api", "--store", dir], {
    TOLLGATE_API_TOKEN: undefined,
    TOLLGATE_ADMIN_TOKEN: undefined,
  });
  expect(result.code).toBe(ExitCode.usage);
  expect(result.err).toContain("no API tokens: set TOLLGATE_API_TOKEN (read) and/or TOLLGATE_ADMIN_TOKEN");
});
