/**
 * The tollgate command line. Each subcommand is a thin shell: parse options, call a package,
 * print, return an exit code (see exit-codes.ts).
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { validatePolicies } from "./commands/policy-validate.js";
import { UsageError, verifyCommand } from "./commands/verify.js";
import { ExitCode } from "./exit-codes.js";
import { type Output, processOutput } from "./output.js";

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
  return program;
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new InvalidArgumentError(`"${value}" is not a whole number`);
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 1) throw new InvalidArgumentError(`"${value}" must be at least 1`);
  return parsed;
}
