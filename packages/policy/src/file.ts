/** The one place the policy package touches the file system: reading a policy file's text. */
import { readFile } from "node:fs/promises";
import { type PolicyResult, parsePolicy } from "./load.js";
import { PolicyError } from "./problems.js";

export async function readPolicyFile(path: string): Promise<PolicyResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "file not found" : String(error);
    return { ok: false, problems: [{ file: path, path: "", message: `cannot read the policy: ${reason}` }] };
  }
  return parsePolicy(text, { file: path });
}

/** Reads and compiles a policy, or throws a PolicyError listing every problem. */
export async function loadPolicyFile(path: string) {
  const result = await readPolicyFile(path);
  if (!result.ok) throw new PolicyError(result.problems);
  return result.policy;
}
