/**
 * Replay, proven on real parts: traffic goes through the real gateway (MCP client over Streamable
 * HTTP, the Kubernetes fixture upstream), its events into the real embedded ClickHouse, and
 * `tollgate replay` / `tollgate gate` read them back. Replaying the live policy reproduces every
 * decision; candidates whose effect is known move exactly the calls they should.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MemorySink } from "@tollgate/events";
import type { ReplayReport } from "@tollgate/replay";
import { openStore } from "@tollgate/store";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { exec, LIVE_POLICY as LIVE, withExecLimit } from "../support/k8s-replay-policy.js";
import { startRecordingGateway } from "../support/recording-gateway.js";
import { storeEvents } from "../support/store.js";

let dir: string;
let storeDir: string;
let from: number;
let to: number;
const files: Record<string, string> = {};

async function policyFile(name: string, doc: unknown): Promise<string> {
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(doc, null, 2));
  files[name] = path;
  return path;
}

/** A command over the recorded window, with `candidate` as the policy and the live one as baseline. */
function againstRecording(command: "replay" | "gate", candidate: string): string[] {
  return [
    command,
    "--store",
    storeDir,
    "--policy",
    files[candidate] as string,
    "--baseline",
    files.live as string,
    "--from",
    String(from),
    "--to",
    String(to),
  ];
}

async function replay(candidate: string, ...extra: string[]) {
  const result = await runCli([...againstRecording("replay", candidate), "--format", "json", ...extra]);
  return { ...result, report: JSON.parse(result.out) as ReplayReport };
}

function cell(report: ReplayReport, before: string, after: string): number {
  const categories = report.categories as readonly string[];
  return report.matrix[categories.indexOf(before)]?.[categories.indexOf(after)] ?? 0;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tollgate-replay-"));
  storeDir = join(dir, "clickhouse");
  await policyFile("live", LIVE);
  const sink = new MemorySink();
  const recording = await startRecordingGateway(sink, LIVE);
  from = Date.now() - 1;
  try {
    // 8 execs: 5 allowed, 3 rate-limited; one with rm refused by its argument check.
    for (let i = 0; i < 8; i += 1) await recording.client.callTool(exec("ls /var/log"));
    await recording.client.callTool(exec("rm -rf /"));
    for (let i = 0; i < 4; i += 1)
      await recording.client.callTool({ name: "k8s_get_namespaces", arguments: { context: "prod-eu" } });
    for (let i = 0; i < 2; i += 1)
      await recording.client.callTool({
        name: "k8s_delete_ns",
        arguments: { context: "prod-eu", name: "shop" },
      });
    for (let i = 0; i < 2; i += 1)
      await recording.client.callTool({
        name: "k8s_create_ns",
        arguments: { context: "prod-eu", name: "tmp" },
      });
    await recording.gateway.core.recorder.flush();
  } finally {
    await recording.close();
  }
  to = Date.now() + 1;
  await storeEvents(storeDir, sink.events);
}, 120_000);

describe("tollgate replay against traffic recorded through the real gateway", () => {
  it("replaying the live policy reproduces every recorded decision and changes nothing", async () => {
    const { code, report } = await replay("live");
    expect(code).toBe(0);
    expect(report.selfCheck).toMatchObject({ checked: 17, mismatches: 0 });
    expect(report.coverage).toMatchObject({ calls: 17, replayed: 17, notReplayable: [], unverified: [] });
    expect(report.summary.changed).toBe(0);
    expect(cell(report, "allow", "allow")).toBe(9);
    expect(cell(report, "rate_limited", "rate_limited")).toBe(3);
    expect(cell(report, "deny_rule", "deny_rule")).toBe(3);
    expect(cell(report, "deny_default", "deny_default")).toBe(2);
    expect(report.provenance.recordedPolicies).toEqual([
      { digest: report.provenance.baselines[0]?.digest, name: "k8s-live", calls: 17 },
    ]);
  });

  it("a tightened limit newly blocks exactly the calls past the new maximum", async () => {
    await policyFile("tight", withExecLimit(3, "tight"));
    const { code, report } = await replay("tight", "--fail-on", "newly-allowed>0");
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ changed: 2, newlyBlocked: 2, newlyAllowed: 0, cascades: 0 });
    expect(cell(report, "allow", "rate_limited")).toBe(2);
    // The examples name the recorded call.decided events (looked up after the bulk read).
    for (const example of report.transitions[0]?.examples ?? []) {
      expect(example.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
    }
    expect(report.transitions[0]?.examples.map((example) => example.tool)).toEqual([
      "k8s_pod_exec",
      "k8s_pod_exec",
    ]);
  });

  it("a new deny rule moves exactly the calls it names", async () => {
    await policyFile("deny", {
      ...LIVE,
      name: "deny-namespaces",
      tools: { ...LIVE.tools, k8s_get_namespaces: { action: "deny", reason: "namespaces are private" } },
    });
    const { code, report } = await replay("deny", "--fail-on", "newly-blocked>10%");
    expect(code).toBe(1); // 4 of 17 is above 10%
    expect(cell(report, "allow", "deny_rule")).toBe(4);
    expect(report.summary).toMatchObject({ changed: 4, newlyBlocked: 4 });
    expect(report.attribution.rules).toEqual([
      expect.objectContaining({
        key: 'tools["k8s_get_*"] → tools.k8s_get_namespaces',
        calls: 4,
        sessions: 1,
      }),
    ]);
    expect(report.verdict?.reasons[0]).toContain("newly-blocked>10%");
  });

  it("a loosened default newly allows the unlisted tool and fails a newly-allowed threshold", async () => {
    await policyFile("open", { ...LIVE, name: "open", default: "allow" });
    const { code, report, err } = await replay("open", "--fail-on", "newly-allowed>0");
    expect(code).toBe(1);
    expect(cell(report, "deny_default", "allow")).toBe(2);
    expect(report.summary).toMatchObject({ changed: 2, newlyAllowed: 2 });
    expect(report.attribution.tools).toEqual([expect.objectContaining({ key: "k8s_create_ns", calls: 2 })]);
    expect(err).toBe("");
  });

  it("a loosened limit lets the limited calls through", async () => {
    await policyFile("loose", withExecLimit(20, "loose"));
    const { report } = await replay("loose");
    expect(cell(report, "rate_limited", "allow")).toBe(3);
    expect(report.summary).toMatchObject({ changed: 3, newlyAllowed: 3 });
  });

  it("fails with exit 2 when the live policy was not given: the self-check cannot vouch", async () => {
    const result = await runCli([
      "replay",
      "--store",
      storeDir,
      "--policy",
      files.tight as string,
      "--from",
      String(from),
      "--to",
      String(to),
    ]);
    expect(result.code).toBe(2);
    expect(result.out).toContain("not self-checked: 17 calls decided by k8s-live");
    expect(result.out).toContain("verdict: INVALID");
  });

  it("exits 3 on a bad threshold or window, naming what was wrong", async () => {
    const threshold = await runCli([
      "replay",
      "--store",
      storeDir,
      "--policy",
      files.live as string,
      "--fail-on",
      "newly-allowed=0",
    ]);
    expect(threshold.code).toBe(3);
    expect(threshold.err).toContain('--fail-on "newly-allowed=0" is not a threshold');
    const window = await runCli([
      "replay",
      "--store",
      storeDir,
      "--policy",
      files.live as string,
      "--since",
      "yesterday",
    ]);
    expect(window.code).toBe(3);
    expect(window.err).toContain('--since "yesterday" is not a duration');
    const threads = await runCli([...againstRecording("replay", "live"), "--threads", "0"]);
    expect(threads.code).toBe(3);
    expect(threads.err).toMatch(/--threads.*"0" must be at least 1/);
  });

  it("renders the same numbers as Markdown, JUnit and HTML", async () => {
    const markdown = await runCli([...againstRecording("replay", "tight"), "--format", "markdown"]);
    expect(markdown.out).toContain("17 calls replayed: 2 would change (0 newly allowed, 2 newly blocked");
    expect(markdown.out).toContain("| allow | 7 | 0 | 0 | 0 | 2 | 0 |");
    const junitFile = join(dir, "replay.xml");
    const junit = await runCli([
      ...againstRecording("replay", "open"),
      "--format",
      "junit",
      "--output",
      junitFile,
      "--fail-on",
      "newly-allowed>0",
    ]);
    expect(junit.code).toBe(1);
    const xml = await readFile(junitFile, "utf8");
    expect(xml).toContain('failures="1"');
    expect(xml).toContain('<failure message="2 calls (11.8%)">');
    const html = await runCli([...againstRecording("replay", "tight"), "--format", "html"]);
    expect(html.out).toContain("<svg");
    expect(html.out).toContain("17 calls replayed: 2 would change");
  });

  it("--save keeps the judged report in the store, verdict included", async () => {
    const { code, report } = await replay("open", "--fail-on", "newly-allowed>0", "--save");
    expect(code).toBe(1);
    const store = await openStore({ path: storeDir });
    try {
      const saved = await store.replayReport(report.id);
      expect(saved).toMatchObject({ verdict: "fail", calls: 17, changed: 2, candidateName: "open" });
    } finally {
      await store.close();
    }
  });

  it("tollgate gate validates, verifies and replays, with one verdict and every reason", async () => {
    const markdownFile = join(dir, "gate.md");
    const passing = await runCli([
      ...againstRecording("gate", "tight"),
      "--runs",
      "50",
      "--markdown",
      markdownFile,
    ]);
    expect(passing.code).toBe(0);
    expect(passing.out).toContain("gate: PASS");
    expect(await readFile(markdownFile, "utf8")).toContain("**gate: pass**");
    const failing = await runCli([...againstRecording("gate", "open"), "--runs", "50"]);
    expect(failing.code).toBe(1);
    expect(failing.out).toContain("gate: FAIL");
    expect(failing.out).toContain("threshold newly-allowed>0 breached: 2 calls");
    await writeFile(join(dir, "broken.json"), '{ "version": "1", "tools": { "x": { "action": "maybe" } } }');
    const invalid = await runCli([
      "gate",
      "--store",
      storeDir,
      "--policy",
      join(dir, "broken.json"),
      "--runs",
      "50",
    ]);
    expect(invalid.code).toBe(3);
    expect(invalid.err).toContain("broken.json");
  });
});
