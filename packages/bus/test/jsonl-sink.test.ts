import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TestGateway } from "../../../test/support/recorded-events.js";
import { JsonlSink, readJsonl } from "../src/index.js";

describe("JsonlSink", () => {
  it("writes events in publish order even when they are published all at once", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "tollgate-jsonl-")), "events.jsonl");
    const sink = new JsonlSink(path);
    const gateway = new TestGateway();
    const session = gateway.session("claude");
    // Large and small lines alike: an unordered append of a small one could overtake a large one.
    const sent = Array.from({ length: 200 }, (_, n) =>
      gateway.call(session, {
        tool: "k8s_pod_exec",
        arguments: { command: n % 5 === 0 ? "x".repeat(50_000) : "ls" },
        at: 1_800_000_000_000 + n,
      }),
    ).flat();
    // The gateway's recorder publishes a window of events without waiting for each.
    await Promise.all(sent.map((event) => sink.publish(event)));
    const read = await readJsonl(path);
    expect(read.problems).toEqual([]);
    expect(read.events.map((event) => event.chain.seq)).toEqual(sent.map((event) => event.chain.seq));
  });
});
