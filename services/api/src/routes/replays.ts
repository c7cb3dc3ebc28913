/**
 * Replay reports: the saved ones (list, JSON, the HTML `tollgate replay` renders), and running a
 * replay next to the store (admin): the candidate and baseline policies come as text, the report is
 * judged against the thresholds, saved, and returned.
 */
import { randomUUID } from "node:crypto";
import { type CompiledPolicy, formatProblem, parsePolicy } from "@tollgate/policy";
import {
  DEFAULT_REPLAY_THREADS,
  judge,
  parseThreshold,
  type ReplayFilter,
  type ReplayReport,
  renderReport,
  reportRecord,
  runParallelReplay,
  type Threshold,
  ThresholdError,
} from "@tollgate/replay";
import type { ReplayReportRecord, ReplayReportSummary, Store } from "@tollgate/store";
import type { FastifyInstance } from "fastify";
import { ApiError, badInput, notFound } from "../errors.js";
import type { ApiOptions } from "../options.js";
import { errors, idParams } from "../schemas.js";
import { parseTime } from "../time.js";

/** Stamped on reports the API runs. */
export const REPLAY_TOLLGATE_VERSION = "0.1.0";

const POLICY_TEXT = {
  type: "object",
  required: ["text", "file"],
  additionalProperties: false,
  properties: {
    text: { type: "string", minLength: 1, maxLength: 1_000_000, description: "the policy file's content" },
    file: {
      type: "string",
      minLength: 1,
      maxLength: 1024,
      description: "its name (JSON or YAML by extension)",
    },
  },
} as const;

const WHEN = { type: ["integer", "string"], description: "epoch ms or ISO 8601" } as const;

const RUN_BODY = {
  type: "object",
  required: ["candidate", "from", "to"],
  additionalProperties: false,
  properties: {
    candidate: POLICY_TEXT,
    baselines: {
      type: "array",
      maxItems: 20,
      items: POLICY_TEXT,
      description: "the policies that were live",
    },
    from: WHEN,
    to: WHEN,
    filter: {
      type: "object",
      additionalProperties: false,
      properties: Object.fromEntries(
        ["agent", "grant", "session", "server", "tool"].map((key) => [key, { type: "string", minLength: 1 }]),
      ),
    },
    failOn: {
      type: "array",
      maxItems: 20,
      items: { type: "string", minLength: 1, maxLength: 100 },
      description: "thresholds, e.g. newly-allowed>0, newly-blocked>1%",
    },
    minCoverage: { type: "number", minimum: 0, maximum: 100, default: 100, description: "percent" },
    seed: { type: "integer" },
  },
} as const;

const SUMMARY = {
  type: "object",
  properties: {
    id: { type: "string" },
    createdAt: { type: "integer" },
    candidateName: { type: "string" },
    candidateDigest: { type: "string" },
    from: { type: "integer" },
    to: { type: "integer" },
    verdict: { type: "string", description: "pass, fail or invalid" },
    calls: { type: "integer" },
    changed: { type: "integer" },
  },
} as const;

const REPORT_REPLY = {
  type: "object",
  required: ["summary", "report"],
  properties: {
    summary: SUMMARY,
    report: {
      type: "object",
      additionalProperties: true,
      description: "the report, as `tollgate replay --format json`",
    },
  },
} as const;

interface PolicyText {
  text: string;
  file: string;
}

interface RunBody {
  candidate: PolicyText;
  baselines?: PolicyText[];
  from: number | string;
  to: number | string;
  filter?: ReplayFilter;
  failOn?: string[];
  minCoverage: number;
  seed?: number;
}

export async function replayRoutes(api: FastifyInstance, options: ApiOptions): Promise<void> {
  const { store } = options;
  let running = false;

  api.get<{ Querystring: { limit: number } }>(
    "/replays",
    {
      schema: {
        summary: "Saved replay reports, newest first",
        tags: ["replays"],
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
        },
        response: {
          200: {
            type: "object",
            required: ["reports"],
            properties: { reports: { type: "array", items: SUMMARY } },
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => ({ reports: await store.replayReports(request.query.limit) }),
  );

  api.get<{ Params: { id: string } }>(
    "/replays/:id",
    {
      schema: {
        summary: "One saved replay report",
        tags: ["replays"],
        params: idParams("report id"),
        response: { 200: REPORT_REPLY, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const record = await savedReport(store, request.params.id);
      return { summary: summaryOf(record), report: JSON.parse(record.json) as ReplayReport };
    },
  );

  api.get<{ Params: { id: string } }>(
    "/replays/:id/html",
    {
      schema: {
        summary: "One saved replay report as HTML",
        tags: ["replays"],
        params: idParams("report id"),
        produces: ["text/html"],
        response: {
          200: { type: "string", description: "the report as a standalone HTML page" },
          ...errors(401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const record = await savedReport(store, request.params.id);
      const html = renderReport(JSON.parse(record.json) as ReplayReport, "html");
      // Opened on its own, the page may style itself but run nothing and load nothing.
      return reply
        .header("content-type", "text/html; charset=utf-8")
        .header(
          "content-security-policy",
          "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox",
        )
        .header("x-content-type-options", "nosniff")
        .send(html);
    },
  );

  api.post<{ Body: RunBody }>(
    "/replays",
    {
      config: { role: "admin" },
      schema: {
        summary:
          "Run a replay of a candidate policy over recorded traffic, judge it, and save the report (admin)",
        tags: ["replays"],
        body: RUN_BODY,
        response: { 200: REPORT_REPLY, ...errors(400, 401, 403, 429) },
      },
    },
    async (request) => {
      if (running)
        throw new ApiError(429, "busy", "a replay is already running here: try again when it is done");
      const job = replayJob(request.body);
      running = true;
      try {
        // With several gateway instances in the window, on worker threads: faster, and the API's
        // own thread keeps answering meanwhile.
        const report = await runParallelReplay(store, {
          threads: DEFAULT_REPLAY_THREADS,
          candidate: job.candidate,
          baselines: job.baselines,
          window: job.window,
          filter: request.body.filter ?? {},
          ...(request.body.seed === undefined ? {} : { seed: request.body.seed }),
          id: randomUUID(),
          createdAt: Date.now(),
          tollgateVersion: REPLAY_TOLLGATE_VERSION,
        });
        const judged = { ...report, verdict: judge(report, job.thresholds, request.body.minCoverage / 100) };
        const record = reportRecord(judged);
        await store.saveReplayReport(record);
        options.log?.(`tollgate api: replay ${record.id} of ${record.candidateName}: ${record.verdict}`);
        return { summary: summaryOf(record), report: judged };
      } finally {
        running = false;
      }
    },
  );
}

/** Everything the request must get right, checked before anything runs. */
function replayJob(body: RunBody): {
  candidate: CompiledPolicy;
  baselines: CompiledPolicy[];
  window: { from: number; to: number };
  thresholds: Threshold[];
} {
  const candidate = compiled(body.candidate, "candidate");
  const baselines = (body.baselines ?? []).map((policy, i) => compiled(policy, `baselines.${i}`));
  const from = parseTime("from", body.from) as number;
  const to = parseTime("to", body.to) as number;
  if (from >= to) throw badInput("to", "to must be after from");
  let thresholds: Threshold[];
  try {
    thresholds = (body.failOn ?? []).map(parseThreshold);
  } catch (error) {
    if (error instanceof ThresholdError)
      throw badInput("failOn", error.message.replace("--fail-on", "failOn"));
    throw error;
  }
  return { candidate, baselines, window: { from, to }, thresholds };
}

function compiled(policy: PolicyText, field: string): CompiledPolicy {
  const result = parsePolicy(policy.text, { file: policy.file });
  if (result.ok) return result.policy;
  const problems = result.problems.map(formatProblem);
  throw badInput(field, `the ${field} policy is invalid: ${problems.join("; ")}`);
}

async function savedReport(store: Store, id: string): Promise<ReplayReportRecord> {
  const record = await store.replayReport(id);
  if (record === undefined) throw notFound(`no replay report ${id} is saved`);
  return record;
}

function summaryOf(record: ReplayReportRecord): ReplayReportSummary {
  const { json: _json, ...summary } = record;
  return summary;
}
