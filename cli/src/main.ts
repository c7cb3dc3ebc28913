/**
 * The tollgate command line. Each subcommand is a thin shell: parse options, call a package,
 * print, return an exit code (see exit-codes.ts).
 */
import { DEFAULT_SPOOL_BATCH_SIZE } from "@tollgate/ingest";
import { Command, CommanderError, Option } from "commander";
import { addApiCommand } from "./commands/api.js";
import { listApprovals, resolveApproval } from "./commands/approvals.js";
import { auditVerify } from "./commands/audit.js";
import { addDemoCommand } from "./commands/demo.js";
import { gatewayCommand } from "./commands/gateway.js";
import { ingestCommand } from "./commands/ingest.js";
import { validatePolicies } from "./commands/policy-validate.js";
import { addQueryCommand } from "./commands/query.js";
import { addSqlCommand } from "./commands/sql.js";
import { upCommand } from "./commands/up.js";
import { verifyCommand } from "./commands/verify.js";
import { ExitCode, UsageError } from "./exit-codes.js";
import { integer, positiveInteger } from "./option-values.js";
import { type Output, processOutput } from "./output.js";
import { addReplayCommands } from "./replay-commands.js";

export async function main(argv: string[], output: Output = processOutput): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === "commander.helpDisplayed" || error.code === "commander.version"
        ? ExitCode.ok
        : ExitCode.usage;
    }
    if (error instanceof UsageError) {
      output.err(`tollgate: ${error.message}`);
      return ExitCode.usage;
    }
    throw error;
  }
}

function buildProgram(output: Output, setExitCode: (code: number) => void): Command {
  const program = new Command("tollgate")
    .description("Policy gateway and audit trail for AI agents' MCP tool calls")
    .version("0.1.0")
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s), writeErr: (s) => output.err(s) })
    .showHelpAfterError();

  const policy = program.command("policy").description("work with policy files").exitOverride();
  policy
    .command("validate")
    .description("check policy files and list every problem (file:line, JSON path, what is wrong)")
    .argument("<files...>", "policy files (JSON or YAML)")
    .option("--json", "print a machine-readable result")
    .exitOverride()
    .action(async (files: string[], options: { json?: boolean }) => {
      setExitCode(await validatePolicies(files, options, output));
    });

  program
    .command("verify")
    .description(
      "prove the policy's own invariants against generated traffic; print a counterexample if one fails",
    )
    .argument("<policy>", "policy file (JSON or YAML)")
    .addOption(new Option("--runs <n>", "traces per invariant").default(1000).argParser(positiveInteger))
    .addOption(new Option("--seed <n>", "random seed (reproduces a run exactly)").argParser(integer))
    .option("--tools <file>", "extra tool names to call: a JSON list, or an MCP tools/list result")
    .option("--json", "print a machine-readable result")
    .addHelpText(
      "after",
      "\nExit codes: 0 all invariants proven, 1 an invariant is violated, 2 invalid policy, 3 usage error.",
    )
    .exitOverride()
    .action(
      async (file: string, options: { runs: number; seed?: number; json?: boolean; tools?: string }) => {
        setExitCode(await verifyCommand(file, options, output));
      },
    );
  addGatewayCommand(program, output, setExitCode);
  addApprovalsCommand(program, output, setExitCode);
  addIngestCommand(program, output, setExitCode);
  addAuditCommand(program, output, setExitCode);
  addUpCommand(program, output, setExitCode);
  addQueryCommand(program, output, setExitCode);
  addSqlCommand(program, output, setExitCode);
  addApiCommand(program, output, setExitCode);
  addReplayCommands(program, output, setExitCode);
  addDemoCommand(program, output, setExitCode);
  return program;
}

function addGatewayCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  program
    .command("gateway")
    .description(
      "enforce a policy on every tools/call between agents and MCP servers, recording every decision",
    )
    .argument("[command...]", "a stdio upstream server to start: put it after `--`")
    .option(
      "--config <file>",
      "gateway configuration (JSON or YAML): upstreams, agents, admins, events, redaction",
    )
    .option(
      "--policy <file>",
      "policy file (watched: valid changes apply at once, invalid ones are rejected)",
    )
    .option(
      "--listen <host:port>",
      "serve agents over Streamable HTTP at /mcp instead of stdio (host defaults to 127.0.0.1)",
    )
    .option("--control <host:port>", "with stdio: serve the approvals API here")
    .option("--events <file>", "where events go as JSON lines (when there is no spool)")
    .option("--spool <dir>", "write events to this spool (read into ClickHouse by `tollgate ingest`)")
    .option(
      "--kafka <brokers>",
      "publish events to Kafka (host:port,…), buffered in --spool while it is away",
    )
    .option("--kafka-topic <name>", "the events topic", "tollgate.events")
    .option("--agent <id>", "stdio: the agent's id (or TOLLGATE_AGENT); HTTP: the id for --agent-token-env")
    .option(
      "--grant <id>",
      "stdio: the agent's grant (or TOLLGATE_GRANT); HTTP: the grant for --agent-token-env",
    )
    .option(
      "--server-id <id>",
      "id of the upstream given after `--` (in server:tool rules and events)",
      "upstream",
    )
    .addOption(
      new Option("--on-full <choice>", "when the event buffer is full").choices(["fail_closed", "fail_open"]),
    )
    .option("--agent-token-env <var>", "HTTP: accept the bearer token in this environment variable")
    .option("--admin-token-env <var>", "accept this environment variable's token for the approvals API")
    .addHelpText(
      "after",
      "\nExamples:\n  tollgate gateway --policy policy.json -- npx some-mcp-server\n  TOKEN=s3cret tollgate gateway --policy policy.json --listen 127.0.0.1:8787 --agent-token-env TOKEN --agent claude --grant ops -- node server.js",
    )
    .exitOverride()
    .action(async (command: string[], options) => {
      setExitCode(await gatewayCommand(command, options, output));
    });
}

function addApprovalsCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const approvals = program
    .command("approvals")
    .description("list calls held for approval, and approve or deny them")
    .exitOverride();
  const common = (command: Command) =>
    command
      .option("--url <url>", "the gateway's base URL", process.env.TOLLGATE_URL ?? "http://127.0.0.1:8787")
      .option("--token-env <var>", "environment variable holding an admin token", "TOLLGATE_ADMIN_TOKEN")
      .exitOverride();
  common(
    approvals.command("list").description("calls waiting for a person").option("--json", "machine-readable"),
  ).action(async (options) => setExitCode(await listApprovals(options, output)));
  for (const verdict of ["approve", "deny"] as const) {
    common(
      approvals.command(verdict).description(`${verdict} a held call`).argument("<id>", "the approval id"),
    )
      .option("--note <text>", "recorded with the decision")
      .action(async (id: string, options) =>
        setExitCode(await resolveApproval(id, verdict, options, output)),
      );
  }
}

function addIngestCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  program
    .command("ingest")
    .description("move events from the spool into ClickHouse (exactly once in effect), until stopped")
    .option("--spool <dir>", "read the spool the gateways write to (the embedded default)")
    .option("--kafka <brokers>", "read the events topic from Kafka (host:port,…) as a consumer group")
    .option("--kafka-topic <name>", "the events topic", "tollgate.events")
    .option("--group <id>", "the Kafka consumer group", "tollgate-ingest")
    .option(
      "--store <dir>",
      "embedded ClickHouse (chDB) directory; CLICKHOUSE_URL, when set, wins",
      ".tollgate/clickhouse",
    )
    .option("--dead-letters <file>", "where messages that are not events go (JSON lines, with their origin)")
    .option("--metrics <host:port>", "serve Prometheus metrics (throughput, lag, retries) here")
    .addOption(
      new Option("--batch-size <n>", "events per ClickHouse insert from the spool, at most")
        .default(DEFAULT_SPOOL_BATCH_SIZE)
        .argParser(positiveInteger),
    )
    .exitOverride()
    .action(async (options) => setExitCode(await ingestCommand(options, output)));
}

function addAuditCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  const audit = program.command("audit").description("check the recorded events").exitOverride();
  audit
    .command("verify")
    .description("verify every gateway instance's hash chain: reports missing (deleted) and edited events")
    .option(
      "--store <dir>",
      "embedded ClickHouse (chDB) directory; CLICKHOUSE_URL, when set, wins",
      ".tollgate/clickhouse",
    )
    .option("--instance <id>", "only this gateway instance")
    .option("--json", "machine-readable")
    .addHelpText("after", "\nExit codes: 0 every chain intact, 1 an event is missing or edited.")
    .exitOverride()
    .action(async (options) => setExitCode(await auditVerify(options, output)));
}

function addUpCommand(program: Command, output: Output, setExitCode: (code: number) => void): void {
  program
    .command("up")
    .description(
      "run everything on this machine: the gateway over HTTP, the spool, ingest, the embedded ClickHouse",
    )
    .argument("[command...]", "a stdio upstream server to start: put it after `--`")
    .option("--config <file>", "gateway configuration (upstreams, agents, admins, redaction)")
    .option("--policy <file>", "policy file (watched)")
    .option("--listen <host:port>", "where agents connect (Streamable HTTP at /mcp)", undefined)
    .option("--data <dir>", "where the spool, the embedded ClickHouse and the dead letters live", ".tollgate")
    .option("--agent-token-env <var>", "accept the bearer token in this environment variable")
    .option("--agent <id>", "the agent id for --agent-token-env", "agent")
    .option("--grant <id>", "the grant for --agent-token-env", "default")
    .option("--admin-token-env <var>", "accept this environment variable's token for approvals")
    .option("--server-id <id>", "id of the upstream given after `--`", "upstream")
    .option("--api-listen <host:port>", "where the forensics API and web UI listen", "127.0.0.1:8788")
    .option("--no-api", "run without the forensics API and web UI")
    .exitOverride()
    .action(async (command: string[], options) =>
      setExitCode(await upCommand(command, { ...options, kafkaTopic: "tollgate.events" }, output)),
    );
}
