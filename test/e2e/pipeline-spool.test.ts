/**
 * The embedded default's pipeline, with real parts and real faults: a gateway writes events to the
 * spool, `tollgate ingest` (a real process) moves them into the embedded ClickHouse (chDB), is killed
 * with SIGKILL mid-run and restarted; poison records sit between the good ones. Afterwards every
 * event is in ClickHouse exactly once and every poison record is in the dead-letter file with its origin.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@clickhouse/client";
import { SpoolSink, SpoolWriter } from "@tollgate/bus";
import { main } from "@tollgate/cli";
import { openStore } from "@tollgate/store";
import { createChdbConnection } from "chdb/connection";
import { expect, test } from "vitest";
import { startRecordingGateway } from "../support/recording-gateway.js";
import { exited, until } from "../support/waiting.js";

// chdb and @clickhouse/client ship different copies of the connection types (see packages/store/src/engine.ts).
type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>;

const bin = fileURLToPath(new URL("../../cli/bin/tollgate.mjs", import.meta.url));
const POISON = [
  Buffer.from("not json at all"),
  Buffer.from('{"hello":"world"}'),
  Buffer.from([0xff, 0xfe, 0x00, 0x01]),
];

async function checkpoint(spool: string): Promise<Record<string, { seq: number }>> {
  const path = join(spool, "checkpoint.json");
  if (!existsSync(path)) return {};
  try {
    return (JSON.parse(await readFile(path, "utf8")) as { writers: Record<string, { seq: number }> }).writers;
  } catch {
    return {}; // being replaced right now: read it again
  }
}

function startIngest(spool: string, store: string, deadLetters: string): ChildProcess {
  return spawn(
    process.execPath,
    [bin, "ingest", "--spool", spool, "--store", store, "--dead-letters", deadLetters, "--batch-size", "25"],
    {
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

test("gateway → spool → ingest (killed and restarted) → ClickHouse: every event exactly once, poison dead-lettered", async () => {
  const dir = await mkdtemp(join(tmpdir(), "tollgate-pipeline-"));
  const spool = join(dir, "spool");
  const storeDir = join(dir, "clickhouse");
  const deadLetters = join(dir, "dead-letters.jsonl");

  const spoolSink = await SpoolSink.open(spool, { name: "gateway" });
  const { gateway, client, written, close } = await startRecordingGateway(spoolSink, {
    version: "1",
    default: "deny",
    tools: { "k8s_get_*": {}, k8s_delete_ns: { action: "deny" } },
  });
  for (let i = 0; i < 150; i++) {
    const tool = i % 10 === 9 ? "k8s_delete_ns" : "k8s_get_namespaces";
    await client.callTool({ name: tool, arguments: { context: "prod-eu", name: "shop" } });
  }
  await gateway.core.recorder.flush();
  const poisonWriter = await SpoolWriter.open(spool, { name: "poison" });
  for (const record of POISON) await poisonWriter.append(record);
  const gatewayWriter = spoolSink.writer.id;
  const total = written.size;
  expect(total).toBe(1 + 150 * 2);

  const first = startIngest(spool, storeDir, deadLetters);
  await until(async () => ((await checkpoint(spool))[gatewayWriter]?.seq ?? 0) > 0, "the first commit");
  first.kill("SIGKILL");
  await exited(first);
  const killedAt = (await checkpoint(spool))[gatewayWriter]?.seq ?? 0;
  expect(killedAt).toBeLessThan(total); // killed mid-run, with events still to go

  const second = startIngest(spool, storeDir, deadLetters);
  await until(async () => {
    const writers = await checkpoint(spool);
    return (
      (writers[gatewayWriter]?.seq ?? 0) >= total && (writers[poisonWriter.id]?.seq ?? 0) >= POISON.length
    );
  }, "ingest to catch up");
  second.kill("SIGTERM");
  await exited(second);

  const store = await openStore({ path: storeDir });
  try {
    expect(await store.countEvents()).toBe(total);
    const stored = await store.eventIds();
    expect(new Set(stored).size).toBe(stored.length);
    expect(new Set(stored)).toEqual(written);
    // Every tenth call asked for a deletion the policy denies; the forensic filters see exactly those.
    expect(await store.countEvents({ type: "call.decided", outcome: "deny" })).toBe(15);
    expect(
      await store.countEvents({ type: "call.decided", tool: "k8s_get_namespaces", agent: "claude" }),
    ).toBe(135);
  } finally {
    await store.close();
  }

  // Fault 5: an event deleted from ClickHouse is found by `tollgate audit verify`.
  const audit = async () => {
    const out: string[] = [];
    const code = await main(["audit", "verify", "--store", storeDir, "--json"], {
      out: (t) => out.push(t),
      err: () => {},
    });
    return { code, report: JSON.parse(out.join("")) };
  };
  const clean = await audit();
  expect(clean.code).toBe(0);
  expect(clean.report.instances).toEqual([expect.objectContaining({ events: total, problems: [] })]);
  const tamperer = createClient({
    connection: createChdbConnection({ path: storeDir }) as unknown as ClientConnection,
  });
  const victim = [...written][100];
  await tamperer.command({
    query: "DELETE FROM events WHERE event_id = {id:UUID}",
    query_params: { id: victim },
  });
  await tamperer.close();
  const tampered = await audit();
  expect(tampered.code).toBe(1);
  expect(tampered.report.instances[0].events).toBe(total - 1);
  expect(tampered.report.instances[0].problems).toEqual([
    expect.objectContaining({
      kind: "missing",
      seq: 101,
      message: "1 event missing before seq 101 (seq 100–100)",
    }),
  ]);

  const letters = (await readFile(deadLetters, "utf8"))
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const fromPoison = letters.filter((letter) =>
    String(letter.origin).startsWith(`spool:${poisonWriter.id}/`),
  );
  expect(fromPoison).toHaveLength(POISON.length);
  expect(fromPoison.map((letter) => letter.error)).toEqual([
    expect.stringContaining("not JSON"),
    expect.stringContaining("not a tollgate event"),
    expect.stringContaining("not JSON"),
  ]);
  expect(fromPoison[0]).toMatchObject({ payload: "not json at all" });
  expect(fromPoison[2]).toHaveProperty("payloadBase64");

  await poisonWriter.close();
  await close();
});
