/** The tollgate command in this process, its output captured: stdout as written, stderr one line each. */
import { main } from "@tollgate/cli";

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let out = "";
  let err = "";
  const code = await main(args, {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += `${text}\n`;
    },
  });
  return { code, out, err };
}
