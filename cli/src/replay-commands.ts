/** The command-line surface of `tollgate replay` and `tollgate gate`: options, help, exit codes. */

import { FORMATS } from "@tollgate/replay";
import { type Command, Option } from "commander";
import { gateCommand } from "./commands/gate.js";
import { replayCommand } from "./commands/replay.js";
import { integer, percent, positiveInteger } from "./option-values.js";
import type { Output } from "./output.js";

const EXIT_CODES =
  "\nExit codes: 0 pass, 1 a threshold (or, for gate, an invariant) failed, 2 the self-check or coverage failed, 3 usage or input error.";

export function addReplayCommands(
  program: Command,
  output: Output,
  setExitCode: (code: number) => void,
): void {
  withReplayOptions(
    program
      .command("replay")
      .description(
        "re-decide recorded calls with a candidate policy and report which decisions would change",
      ),
  )
    .addOption(new Option("--format <format>", "report format").choices(FORMATS).default("table"))
    .option("--output <file>", "write the report here (the verdict still goes to stderr)")
    .option("--save", "keep the report in the store, for the API and UI")
    .addHelpText(
      "after",
      `${EXIT_CODES}\n\nExamples:\n  tollgate replay --policy candidate.json --baseline live.json --since 7d\n  tollgate replay --policy candidate.json --baseline live.json --since 24h --fail-on "newly-allowed>0" --fail-on "newly-blocked>1%" --format markdown --output replay.md\n  tollgate replay --api http://127.0.0.1:8788 --policy examples/policies/k8s-loosened.json --baseline examples/policies/k8s.json --since 1d`,
    )
    .action(async (options) => setExitCode(await replayCommand(options, output)));

  withReplayOptions(
    program
      .command("gate")
      .description("the CI step for a policy change: validate, verify its invariants, replay, one verdict"),
  )
    .addOption(new Option("--runs <n>", "traces per invariant").default(1000).argParser(positiveInteger))
    .option("--markdown <file>", "write the verdict and replay report as Markdown (a pull-request comment)")
    .option("--json", "print a machine-readable result")
    .addHelpText("after", `${EXIT_CODES}\nWithout --fail-on, the gate fails on newly-allowed>0.`)
    .action(async (options) => setExitCode(await gateCommand(options, output)));
}

function withReplayOptions(command: Command): Command {
  return command
    .requiredOption("--policy <file>", "the candidate policy (JSON or YAML)")
    .option(
      "--baseline <file...>",
      "the policies that were live (the self-check needs each recorded digest's)",
    )
    .option("--since <duration>", "the window: the last 90m, 24h, 7d, 2w (default 7d)")
    .option("--from <time>", "window start: ISO 8601 or epoch ms")
    .option("--to <time>", "window end (exclusive; default now)")
    .option(
      "--store <dir>",
      "embedded ClickHouse (chDB) directory; CLICKHOUSE_URL, when set, wins",
      ".tollgate/clickhouse",
    )
    .option("--spool <dir>", "read the calls from a spool instead of the store")
    .option("--events <file>", "read the calls from a gateway's events file (JSON lines)")
    .option(
      "--kafka <brokers>",
      "read the calls straight from the events topic (host:port,…); commits nothing",
    )
    .option("--kafka-topic <name>", "with --kafka: the events topic", "tollgate.events")
    .option("--api <url>", "ask a running tollgate API (which holds the store) to replay")
    .option(
      "--token-env <var>",
      "with --api: environment variable holding an admin token",
      "TOLLGATE_ADMIN_TOKEN",
    )
    .option("--agent <id>", "report only this agent's calls")
    .option("--grant <id>", "report only this grant's calls")
    .option("--session <id>", "report only this session's calls")
    .option("--server <id>", "report only this upstream server's calls")
    .option("--tool <name>", "report only this tool's calls")
    .option(
      "--fail-on <threshold...>",
      "METRIC>N or METRIC>N% (newly-allowed, newly-blocked, changed, cascades)",
    )
    .addOption(
      new Option(
        "--min-coverage <percent>",
        "fail (exit 2) below this share of calls replayed and self-checked",
      )
        .default(100)
        .argParser(percent),
    )
    .addOption(new Option("--seed <n>", "seed of the example sample").argParser(integer))
    .addOption(new Option("--samples <n>", "examples per changed cell").argParser(positiveInteger))
    .addOption(
      new Option(
        "--threads <n>",
        "with the store: worker threads, each replaying some gateway instances (default: the cores, at most 4; one per 1M calls of the window at most)",
      ).argParser(positiveInteger),
    )
    .option("--no-progress", "no progress bar on stderr")
    .exitOverride();
}
