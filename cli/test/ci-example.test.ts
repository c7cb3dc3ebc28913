/** The example CI workflow must only use what `tollgate gate` accepts, and run it for real. */
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { parse } from "yaml";
import { main } from "../src/index.js";

interface Workflow {
  jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
}

it("examples/ci/policy-gate.yml calls tollgate gate with options it has", async () => {
  const workflow = parse(
    await readFile(new URL("../../examples/ci/policy-gate.yml", import.meta.url), "utf8"),
  ) as Workflow;
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
  const gate = steps.find((step) => step.run?.includes("tollgate gate"));
  expect(gate?.run).toBeDefined();
  const flags = [...(gate?.run ?? "").matchAll(/\s(--[a-z-]+)/g)].map((match) => match[1]);
  expect(flags).toEqual(
    expect.arrayContaining(["--policy", "--baseline", "--since", "--fail-on", "--markdown"]),
  );
  let help = "";
  const code = await main(["gate", "--help"], { out: (text) => (help += text), err: () => {} });
  expect(code).toBe(0);
  for (const flag of flags) expect(help, `tollgate gate has no ${flag}`).toContain(flag);
  expect(steps.some((step) => step.run?.includes("--body-file gate-report.md"))).toBe(true);
});
