/**
 * `tollgate query NAME`: the forensics API's named queries from the command line, as a table or
 * JSON. It asks a running API (`--api URL`, token in TOLLGATE_API_TOKEN) or opens the store itself
 * (`--store DIR`, or CLICKHOUSE_URL) and runs the same routes in this process: same validation,
 * same answers. The embedded store is locked by the process that has it open, so while
 * `tollgate up` runs, queries go through its API.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  type ApiClient,
  DEFAULT_API_PORT,
  inProcessApi,
  NEEDS_ID,
  namedQueryPath,
  QUERY_NAMES,
  type QueryName,
  type QueryParams,
  READ_TOKEN_ENV,
  remoteApi,
} from "@tollgate/api";
import { openStore, type Store, StoreUnavailableError, storeOptionsFromEnv } from "@tollgate/store";
import { Argument, type Command, Option } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";
import { positiveInteger } from "../option-values.js";
import { type Output, table } from "../output.js";

export const DEFAULT_STORE = ".tollgate/clickhouse";

/** Where the answers come from. */
export interface SourceOptions {
  /** A running API's base URL; TOLLGATE_API_URL when not given. */
  api?: string;
  /** The embedded store's directory (CLICKHOUSE_URL, when set, wins). */
  store?: string;
}

export interface QueryOptions extends SourceOptions {
  agent?: string;
  grant?: string;
  session?: string;
  server?: string;
  tool?: string;
  decision?: string;
  rule?: string;
  from?: string;
  to?: string;
  /** A duration back from now (90m, 24h, 7d, 2w): sets `from`. */
  since?: string;
  limit?: number;
  cursor?: string;
  /** search: text anywhere in the arguments. */
  text?: string;
  /** search: a dot-separated path into the arguments, e.g. `command` or `spec.replicas`. */
  path?: string;
  contains?: string;
  equals?: string;
  bucket?: string;
  json?: boolean;
}

/** Where the answers come from: `--api URL`, or `--store DIR` (CLICKHOUSE_URL wins), on any command. */
export function sourceOptions(command: Command): Command {
  return command
    .option(
      "--api <url>",
      `a running API (tollgate up, tollgate api), e.g. http://127.0.0.1:${DEFAULT_API_PORT}; token in ${READ_TOKEN_ENV}; TOLLGATE_API_URL sets a default`,
    )
    .option(
      "--store <dir>",
      "open the embedded ClickHouse here instead (not while another process has it open); CLICKHOUSE_URL wins",
      DEFAULT_STORE,
    );
}

export function addQueryCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const command = program
    .command("query")
    .description(
      "run a named forensic query: sessions, timelines, calls, argument search, rollups, events, overview",
    )
    .addArgument(new Argument("<name>", "the query").choices(QUERY_NAMES))
    .argument("[id]", "timeline: the session id; event: the event id")
    .option("--agent <id>", "only this agent")
    .option("--grant <id>", "only this grant")
    .option("--session <id>", "only this session")
    .option("--server <id>", "only this upstream server")
    .option("--tool <name>", "only this tool")
    .addOption(
      new Option("--decision <outcome>", "only this decision").choices([
        "allow",
        "deny",
        "rate_limited",
        "approval_required",
      ]),
    )
    .option("--rule <id>", "only decisions by this rule (a JSON path into the policy)")
    .option("--from <time>", "from this time (ISO 8601 or epoch ms), inclusive")
    .option("--to <time>", "until this time, exclusive")
    .option("--since <duration>", "from this long ago: 90m, 24h, 7d, 2w")
    .addOption(new Option("--limit <n>", "rows per page").argParser(positiveInteger))
    .option("--cursor <cursor>", "the next page (printed after a full page)")
    .option("--text <text>", "search: text anywhere in the arguments")
    .option("--path <keys>", "search: where in the arguments, dot-separated (command, spec.replicas, args.0)")
    .option("--contains <text>", "search: the value at --path contains this")
    .option("--equals <value>", "search: the value at --path is exactly this")
    .addOption(new Option("--bucket <size>", "overview: bucket size").choices(["minute", "hour", "day"]))
    .option("--json", "print the API's JSON answer");
  sourceOptions(command)
    .addHelpText(
      "after",
      [
        "",
        "Examples:",
        "  tollgate query sessions --agent claude --since 1d",
        "  tollgate query timeline SESSION_ID",
        "  tollgate query search --tool kube_executor --path command --contains delete",
        "  tollgate query rate-limits --since 7d --json",
        "  tollgate query event EVENT_ID              # the stored event and its hash-chain position",
        "",
        "Exit codes: 0 answered, 1 not found, 3 bad filters or no store/API.",
      ].join("\n"),
    )
    .exitOverride()
    .action(async (name: QueryName, id: string | undefined, options: QueryOptions) =>
      setExitCode(await queryCommand(name, id, options, output)),
    );
}

export async function queryCommand(
  name: QueryName,
  id: string | undefined,
  options: QueryOptions,
  output: Output,
): Promise<number> {
  if (NEEDS_ID.has(name) && id === undefined)
    throw new UsageError(`tollgate query ${name} needs the ${name === "event" ? "event" : "session"} id`);
  if (!NEEDS_ID.has(name) && id !== undefined)
    throw new UsageError(`tollgate query ${name} takes no id ("${id}"): filters are options, e.g. --agent`);
  const path = namedQueryPath(name, paramsOf(options), id);
  const reply = await withApi(options, (api) => api.request("GET", path));
  if (reply.status !== 200) return refused(`tollgate query ${name}`, reply, output);
  if (options.json) {
    output.out(JSON.stringify(reply.body, null, 2));
  } else {
    output.out(render(name, reply.body as Answer));
  }
  const next = (reply.body as { nextCursor?: string }).nextCursor;
  if (next !== undefined) output.err(`more: add --cursor ${next}`);
  return ExitCode.ok;
}

function paramsOf(options: QueryOptions): QueryParams {
  if (options.since !== undefined && options.from !== undefined)
    throw new UsageError("give either --since or --from, not both");
  const from = options.since === undefined ? options.from : String(Date.now() - durationMs(options.since));
  return {
    agent: options.agent,
    grant: options.grant,
    session: options.session,
    server: options.server,
    tool: options.tool,
    decision: options.decision,
    rule: options.rule,
    from,
    to: options.to,
    limit: options.limit,
    cursor: options.cursor,
    q: options.text,
    path: options.path?.split("."),
    contains: options.contains,
    equals: options.equals,
    bucket: options.bucket,
  };
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function durationMs(text: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (match === null) throw new UsageError(`"${text}" is not a duration: write e.g. 90m, 24h, 7d or 2w`);
  return Number(match[1]) * (UNIT_MS[match[2]!] ?? 0);
}

/** Runs `use` against the API or the store, and lets go of either afterwards. */
export async function withApi<T>(options: SourceOptions, use: (api: ApiClient) => Promise<T>): Promise<T> {
  const url = options.api ?? process.env.TOLLGATE_API_URL;
  if (url !== undefined && url !== "") {
    const token = process.env[READ_TOKEN_ENV] ?? process.env.TOLLGATE_ADMIN_TOKEN;
    if (token === undefined || token === "")
      throw new UsageError(`--api needs a token: set ${READ_TOKEN_ENV} (or TOLLGATE_ADMIN_TOKEN)`);
    const api = remoteApi(url, token);
    try {
      return await use(api);
    } catch (error) {
      if (error instanceof TypeError)
        throw new UsageError(`cannot reach the API at ${api.where}: ${String(error.cause ?? error.message)}`);
      throw error;
    }
  }
  const store = await openLocalStore(options.store ?? DEFAULT_STORE);
  try {
    const api = await inProcessApi(store, describe(store));
    try {
      return await use(api);
    } finally {
      await api.close();
    }
  } finally {
    await store.close();
  }
}

/**
 * Opens the store for a command that only reads. An embedded store that another process holds
 * (`tollgate up`, `tollgate ingest`) cannot be opened a second time: say so, and where to go instead.
 */
export async function openLocalStore(directory: string): Promise<Store> {
  const options = storeOptionsFromEnv(directory);
  if ("path" in options && !existsSync(options.path)) {
    throw new UsageError(
      `no store at ${options.path}: pass --store DIR (the embedded ClickHouse of tollgate up is .tollgate/clickhouse), set CLICKHOUSE_URL, or query a running API with --api URL`,
    );
  }
  try {
    return await openStore(options);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || !("path" in options)) throw error;
    const holder = lockHolder(options.path);
    throw new UsageError(
      `cannot open the embedded ClickHouse at ${options.path}: ${
        holder === undefined ? "another process may hold it" : `process ${holder} holds it`
      } (the store is locked by the process that has it open, e.g. tollgate up or tollgate ingest). ` +
        `While it runs, go through its API: --api URL (tollgate up serves it at http://127.0.0.1:${DEFAULT_API_PORT} unless --api-listen says otherwise) with ${READ_TOKEN_ENV} set.`,
    );
  }
}

/** The live process named in the engine's status file, if any: who holds the lock. */
function lockHolder(directory: string): number | undefined {
  try {
    const status = readFileSync(join(resolve(directory), "status"), "utf8");
    const pid = Number(/^PID:\s*(\d+)/m.exec(status)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid) return undefined;
    process.kill(pid, 0); // throws when no such process
    return pid;
  } catch {
    return undefined;
  }
}

function describe(store: Store): string {
  return store.target.kind === "http" ? store.target.url : store.target.path;
}

/** An API refusal as a message; bad input is a usage error (3), a missing thing a failure (1). */
export function refused(command: string, reply: { status: number; body: unknown }, output: Output): number {
  const body = reply.body as { message?: string; field?: string } | string;
  const message = typeof body === "string" ? body : (body.message ?? JSON.stringify(body));
  const field = typeof body === "object" && body.field !== undefined ? ` (${body.field})` : "";
  output.err(`${command}: ${message}${field}`);
  if (reply.status === 404) return ExitCode.failed;
  if (reply.status === 401 || reply.status === 403)
    output.err(`the API refused the token in ${READ_TOKEN_ENV} (HTTP ${reply.status})`);
  return reply.status >= 500 ? ExitCode.failed : ExitCode.usage;
}

// ---- tables ---------------------------------------------------------------------------------

type Row = Record<string, unknown>;
type Answer = Row & { rows?: Row[]; calls?: Row[]; sessions?: Row[]; events?: Row[] };

const at = (value: unknown) => (typeof value === "number" ? new Date(value).toISOString() : "");
const str = (value: unknown) => (value === undefined || value === null ? "" : String(value));
const grid = (header: string[], rows: string[][], empty: string) =>
  rows.length === 0 ? empty : table([header, ...rows]);

function render(name: QueryName, answer: Answer): string {
  switch (name) {
    case "sessions":
      return grid(
        ["session", "agent", "grant", "first", "last", "calls", "denials", "rate-limited", "approvals"],
        (answer.sessions ?? []).map((s) => [
          str(s.session),
          str(s.agent),
          str(s.grant),
          at(s.firstAt),
          at(s.lastAt),
          str(s.calls),
          str(s.denials),
          str(s.rateLimited),
          str(s.approvalsRequested),
        ]),
        "no sessions",
      );
    case "timeline":
      return grid(
        ["time", "seq", "event", "what"],
        (answer.events ?? []).map((e) => [at(e.time), str(e.seq), str(e.type), happened(e)]),
        "no events",
      );
    case "calls":
    case "search":
      return grid(
        ["time", "agent", "tool", "decision", "rule", "status", ...(name === "search" ? ["arguments"] : [])],
        (answer.calls ?? []).map((c) => [
          at(c.time),
          str(c.agent),
          c.server === "" ? str(c.tool) : `${str(c.server)}:${str(c.tool)}`,
          str(c.decision) + (c.approval === "granted" ? " (approved)" : ""),
          str(c.rule),
          str(c.status),
          ...(name === "search" ? [JSON.stringify(c.arguments).slice(0, 80)] : []),
        ]),
        "no calls",
      );
    case "rollup-tools":
      return counts(["tool"], answer.rows ?? [], (r) => [`${str(r.server)}:${str(r.tool)}`]);
    case "rollup-agents":
      return counts(["agent", "grants", "sessions"], answer.rows ?? [], (r) => [
        str(r.agent),
        (r.grants as string[]).join(","),
        str(r.sessions),
      ]);
    case "rollup-hours":
      return counts(["hour"], answer.rows ?? [], (r) => [at(r.hour)]);
    case "rate-limits":
      return grid(
        ["rule", "counter", "scope", "limit", "hits", "agents", "last"],
        (answer.rows ?? []).map((r) => [
          str(r.rule),
          str(r.counter),
          str(r.scope),
          `${str(r.max)} per ${Number(r.windowMs) / 1000}s`,
          str(r.hits),
          (r.agents as string[]).join(","),
          at(r.lastAt),
        ]),
        "no rate-limit hits",
      );
    case "approvals":
      return [
        `${str(answer.requested)} approval(s) requested`,
        grid(
          ["resolution", "by", "count", "last"],
          ((answer.resolved as Row[]) ?? []).map((r) => [
            str(r.resolution),
            str(r.by),
            str(r.count),
            at(r.lastAt),
          ]),
          "none resolved",
        ),
      ].join("\n");
    case "event":
      return eventText(answer);
    case "overview":
      return overviewText(answer);
  }
}

function counts(header: string[], rows: Row[], lead: (row: Row) => string[]): string {
  return grid(
    [...header, "calls", "allowed", "denials", "rate-limited", "approvals"],
    rows.map((r) => [
      ...lead(r),
      str(r.calls),
      str(r.allowed),
      str(r.denials),
      str(r.rateLimited),
      str(r.approvalsRequested),
    ]),
    "no calls",
  );
}

/** One timeline entry in a phrase. */
function happened(e: Row): string {
  switch (e.type) {
    case "call.decided":
      return `${str(e.server)}:${str(e.tool)} → ${str(e.decision)}${e.approval === "granted" ? " (approved)" : ""} [${str(e.rule)}]${e.reason ? ` ${str(e.reason)}` : ""}`;
    case "call.completed":
      return `${str(e.status)} in ${Number(e.latencyMs ?? 0).toFixed(1)} ms`;
    case "approval.requested":
      return `approval ${str(e.approvalId)} requested [${str(e.rule)}]`;
    case "approval.resolved":
      return `${str(e.resolution)}${e.by ? ` by ${str(e.by)}` : ""}${e.note ? `: ${str(e.note)}` : ""}`;
    default:
      return "";
  }
}

function eventText(answer: Answer): string {
  const event = answer.event as Row;
  const chain = answer.chain as Row;
  const verdict = chain.hashVerifies && chain.linkVerifies ? "verifies" : "DOES NOT VERIFY";
  return [
    `event ${str(event.id)}: ${str(event.type)} at ${at(event.time)}`,
    `chain: instance ${str(chain.instance)}, seq ${str(chain.seq)}, ${verdict}`,
    `  previous ${str(chain.previousEventId) || "(none stored)"}, next ${str(chain.nextEventId) || "(none stored)"}`,
    ...(chain.problems as string[]).map((problem) => `  ${problem}`),
    JSON.stringify(event, null, 2),
  ].join("\n");
}

function overviewText(answer: Answer): string {
  const totals = answer.totals as Row;
  return [
    `${at(answer.from)} – ${at(answer.to)}: ${str(totals.calls)} calls, ${str(totals.denials)} denials, ${str(totals.rateLimited)} rate-limited, ${str(totals.approvalsRequested)} held for approval; ${str(totals.sessions)} sessions, ${str(totals.agents)} agents`,
    table([
      [
        answer.bucket === "day" ? "day" : String(answer.bucket),
        "calls",
        "denials",
        "rate-limited",
        "approvals",
      ],
      ...((answer.series as Row[]) ?? [])
        .filter((p) => Number(p.calls) > 0)
        .map((p) => [
          at(p.start),
          str(p.calls),
          str(p.denials),
          str(p.rateLimited),
          str(p.approvalsRequested),
        ]),
    ]),
  ].join("\n");
}
