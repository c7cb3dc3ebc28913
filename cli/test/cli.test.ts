import { execFile } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";
import { ExitCode, main, type Output } from "../src/index.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const examples = join(repo, "examples", "policies");

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output: Output = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, output);
  return { code, out: out.join(""), err: err.join("") };
}

async function writeTemp(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-cli-"));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe("tollgate policy validate", () => {
  test("accepts the seed's policy.json verbatim", async () => {
    const result = await run(["policy", "validate", join(examples, "seed-policy.json")]);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toMatch(/seed-policy\.json: valid \(1 rules, default deny, sha256:[0-9a-f]{64}\)/);
  });

  test("lists every problem with file, line and JSON path, and exits 2", async () => {
    const file = await writeTemp(
      "broken.json",
      `{
  "version": "1",
  "default": "deny",
  "tools": {
    "k8s_pod_exec": {
      "limit": [],
      "limits": [{ "counter": "c", "window": "fortnight", "max": 0, "scope": "grant" }]
    }
  }
}`,
    );
    const result = await run(["policy", "validate", file]);
    expect(result.code).toBe(ExitCode.invalidInput);
    expect(result.err).toContain(
      `${file}:6:7 at tools.k8s_pod_exec.limit: unknown key "limit"; did you mean "limits"?`,
    );
    expect(result.err).toContain(
      `${file}:7:46 at tools.k8s_pod_exec.limits[0].window: window "fortnight" is not a window`,
    );
    expect(result.err).toContain(`${file}:7:66 at tools.k8s_pod_exec.limits[0].max: must be at least 1`);
    expect(result.err).toContain("3 problems");
  });

  test("reports JSON syntax errors with their line", async () => {
    const file = await writeTemp("syntax.json", `{\n  "version": "1",\n  "tools": {,}\n}`);
    const result = await run(["policy", "validate", file]);
    expect(result.code).toBe(ExitCode.invalidInput);
    expect(result.err).toMatch(new RegExp(`${file}:3:\\d+: not valid JSON`));
  });

  test("a missing file is a clear problem, not a crash", async () => {
    const result = await run(["policy", "validate", "/nonexistent/policy.json"]);
    expect(result.code).toBe(ExitCode.invalidInput);
    expect(result.err).toContain("/nonexistent/policy.json: cannot read the policy: file not found");
  });
});

describe("tollgate verify", () => {
  test("proves the example policy's invariants and says with how many cases", async () => {
    const result = await run(["verify", join(examples, "k8s.json"), "--runs", "200", "--seed", "7"]);
    expect(result.code).toBe(ExitCode.ok);
    expect(result.out).toContain("seed 7, 200 traces per invariant");
    expect(result.out).toMatch(
      /✓ k8s_pod_exec at most 10 per minute per grant {2}\[invariants\[2\]\] {2}200 traces/,
    );
    expect(result.out).toContain("4 proven, 0 violated");
  });

  test("a limit loosened past the promise gives a shrunk counterexample and exit 1", async () => {
    const result = await run([
      "verify",
      join(examples, "k8s-loosened.json"),
      "--runs",
      "300",
      "--seed",
      "7",
      "--json",
    ]);
    expect(result.code).toBe(ExitCode.failed);
    const report = JSON.parse(result.out);
    const violated = report.results.filter((r: { status: string }) => r.status === "violated");
    expect(violated.map((r: { id: string }) => r.id)).toEqual(["invariants[2]"]);
    const example = violated[0].counterexample;
    const allowedExecs = example.calls.map((i: number) => example.trace[i]);
    expect(allowedExecs).toHaveLength(11);
    for (const entry of allowedExecs) {
      expect(entry.call.tool).toBe("k8s_pod_exec");
      expect(entry.decision.outcome).toBe("allow");
      expect(entry.call.identity.grant).toBe(allowedExecs[0].call.identity.grant);
    }
    const span = allowedExecs.at(-1).offset - allowedExecs[0].offset;
    expect(span).toBeLessThan(60_000);
  });

  test("the same seed reproduces the same result", async () => {
    const args = ["verify", join(examples, "k8s-loosened.json"), "--runs", "100", "--seed", "99", "--json"];
    const first = JSON.parse((await run(args)).out);
    const second = JSON.parse((await run(args)).out);
    expect(second).toEqual(first);
  });

  test("an invalid policy exits 2 and a bad option exits 3", async () => {
    const broken = await writeTemp("broken.yaml", "version: 1\ntools: 5\n");
    const invalid = await run(["verify", broken]);
    expect(invalid.code).toBe(ExitCode.invalidInput);
    expect(invalid.err).toContain("at tools: expected");
    const usage = await run(["verify", join(examples, "k8s.json"), "--runs", "zero"]);
    expect(usage.code).toBe(ExitCode.usage);
    expect(usage.err).toContain('"zero" is not a whole number');
  });
});

describe("tollgate gateway, refusing to start", () => {
  test.each([
    [["--listen", "nonsense", "--agent-token-env", "HOME"], '--listen "nonsense" is not HOST:PORT'],
    [
      ["--listen", "127.0.0.1:0", "--agent-token-env", "TOLLGATE_NO_SUCH_VARIABLE"],
      "environment variable TOLLGATE_NO_SUCH_VARIABLE is not set",
    ],
  ])("%j: exits 3 with the reason, and nothing keeps running", async (flags, reason) => {
    const events = await writeTemp("events.jsonl", "");
    const args = [
      "gateway",
      "--policy",
      join(examples, "k8s.json"),
      "--events",
      events,
      ...flags,
      "--",
      "true",
    ];
    const result = await run(args);
    expect(result.code).toBe(ExitCode.usage);
    expect(result.err).toContain(reason);
  });
});

test("the installed bin runs with --help on every subcommand", async () => {
  const bin = join(repo, "node_modules", ".bin", "tollgate");
  const exec = promisify(execFile);
  for (const args of [["--help"], ["verify", "--help"], ["policy", "validate", "--help"]]) {
    const { stdout } = await exec(bin, args, { cwd: repo });
    expect(stdout).toContain("Usage: tollgate");
  }
});
