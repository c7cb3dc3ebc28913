/**
 * `tollgate demo traffic`: fills a `tollgate up` (or any spool) with a realistic day of agent calls,
 * decided by the demo gateway's own policy, so there is something to look at, query and replay.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, type GatewayConfig, readGatewayConfig } from "@tollgate/gateway";
import { formatProblems, loadPolicyFile, PolicyError } from "@tollgate/policy";
import { type Command, InvalidArgumentError, Option } from "commander";
import { sendLiveCalls } from "../demo/live.js";
import { writeToSpool } from "../demo/spool.js";
import { jsonSummary, textSummary } from "../demo/summary.js";
import { demoDay } from "../demo/traffic.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import type { Output } from "../output.js";

export interface DemoTrafficOptions {
  data: string;
  spool?: string;
  config?: string;
  policy?: string;
  serverId?: string;
  hours: number;
  seed: number;
  /** Epoch ms the day ends at; now by default. */
  until?: number;
  live?: string;
  tokenEnv: string;
  json?: boolean;
}

/** Adds `tollgate demo traffic` to the program (registered from main.ts). */
export function addDemoCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const demo = program.command("demo").description("things for trying tollgate out").exitOverride();
  demo
    .command("traffic")
    .description(
      "write a realistic day of agent calls (decided by the demo policy) into the spool `tollgate up` ingests",
    )
    .option("--data <dir>", "the data directory of `tollgate up`: events go to its spool", ".tollgate")
    .option("--spool <dir>", "write to this spool instead")
    .addOption(
      new Option(
        "--config <file>",
        "gateway configuration whose policy, upstream id and redaction to use",
      ).default(DEMO_CONFIG, "the demo's, examples/demo/gateway.yaml"),
    )
    .option("--policy <file>", "decide by this policy instead of the configuration's")
    .option("--server-id <id>", "the upstream's id (default: the configuration's first upstream)")
    .addOption(new Option("--hours <n>", "how long the day is").default(24).argParser(hours))
    .addOption(
      new Option("--seed <n>", "random seed: the same seed and --until give the same day")
        .default(1)
        .argParser(seed),
    )
    .addOption(
      new Option("--until <time>", "when the day ends (ISO 8601 or epoch ms; default now)").argParser(time),
    )
    .option("--live <url>", "also send a few real MCP calls through the gateway at this URL (…/mcp)")
    .option(
      "--token-env <var>",
      "environment variable holding the agent token for --live",
      "TOLLGATE_DEMO_AGENT_TOKEN",
    )
    .option("--json", "print a machine-readable summary")
    .addHelpText(
      "after",
      "\nExample: `npm start` in one terminal, then `npx tollgate demo traffic` in another; open the UI.\nExit codes: 0 written, 2 invalid policy, 3 usage error.",
    )
    .exitOverride()
    .action(async (options: DemoTrafficOptions) => setExitCode(await demoTrafficCommand(options, output)));
}

function hours(value: string): number {
  const parsed = Number(value);
  if (!(parsed > 0 && parsed <= 24 * 31))
    throw new InvalidArgumentError(`"${value}" is not a number of hours (up to 744)`);
  return parsed;
}

function seed(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0`);
  return parsed;
}

function time(value: string): number {
  const parsed = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(parsed))
    throw new InvalidArgumentError(`"${value}" is not an ISO 8601 time or epoch milliseconds`);
  return parsed;
}

/** The demo gateway's configuration: its policy, upstream id and redaction are what the day is decided by. */
export const DEMO_CONFIG = fileURLToPath(new URL("../../../examples/demo/gateway.yaml", import.meta.url));

export async function demoTrafficCommand(options: DemoTrafficOptions, output: Output): Promise<number> {
  const config = await readConfig(options.config ?? DEMO_CONFIG);
  const policyFile = options.policy ?? config.policy;
  if (policyFile === undefined) throw new UsageError("no policy: pass --policy FILE or a --config with one");
  let policy: Awaited<ReturnType<typeof loadPolicyFile>>;
  try {
    policy = await loadPolicyFile(policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    output.err(`tollgate demo traffic: invalid policy\n${formatProblems(error.problems)}`);
    return ExitCode.invalidInput;
  }
  const liveToken = options.live === undefined ? undefined : tokenFrom(options.tokenEnv);
  const day = demoDay({
    policy,
    ...(config.redaction === undefined ? {} : { redaction: config.redaction }),
    server: options.serverId ?? config.upstreams?.[0]?.id ?? "k8s",
    end: options.until ?? Date.now(),
    hours: options.hours,
    seed: options.seed,
  });
  const spool = options.spool ?? join(options.data, "spool");
  await writeToSpool(spool, day.events);
  const live =
    options.live === undefined || liveToken === undefined
      ? undefined
      : await sendLiveCalls(options.live, liveToken);
  if (options.json) output.out(JSON.stringify(jsonSummary(day, spool, policy.name, live), null, 2));
  else output.out(textSummary(day, spool, policy.name, options.seed, live));
  return ExitCode.ok;
}

async function readConfig(file: string): Promise<GatewayConfig> {
  try {
    return await readGatewayConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function tokenFrom(variable: string): string {
  const token = process.env[variable];
  if (token === undefined || token === "")
    throw new UsageError(`--live needs an agent token: environment variable ${variable} is not set`);
  return token;
}
