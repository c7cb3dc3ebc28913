/**
 * A separate process for the spool tests (run with `node --import tsx`): a gateway that writes,
 * or a reader that crashes. It speaks in JSON lines on stdout.
 *
 *   write <spool> <instance> <count> <concurrency>   waits for "go" on stdin, then publishes
 *   read <spool> <maxRecords> <commit|no-commit>     reads one batch, then dies by SIGKILL
 */
import { createInterface } from "node:readline";
import { SpoolReader, SpoolSink } from "../src/spool/index.js";
import { chainedEvents } from "./spool-fixtures.js";

const say = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);

async function write(spool: string, instance: string, count: number, concurrency: number): Promise<void> {
  const events = chainedEvents(instance, count, Date.now());
  const sink = await SpoolSink.open(spool, { name: instance, segmentBytes: 256 * 1024 });
  say({ ready: sink.writer.id });
  await new Promise<void>((resolve) =>
    createInterface({ input: process.stdin }).once("line", () => resolve()),
  );
  const startedAt = Date.now();
  for (let start = 0; start < events.length; start += concurrency) {
    await Promise.all(events.slice(start, start + concurrency).map((event) => sink.publish(event)));
    say({ acked: Math.min(start + concurrency, events.length) });
  }
  const finishedAt = Date.now();
  await sink.close();
  say({ done: true, startedAt, finishedAt });
  process.exit(0); // stdin is still open; nothing else to wait for
}

async function readThenCrash(spool: string, maxRecords: number, commit: boolean): Promise<void> {
  const reader = await SpoolReader.open(spool);
  const batch = await reader.read(maxRecords);
  if (commit) await reader.commit(batch.position);
  say({ seqs: batch.records.map((record) => record.event.chain.seq) });
  process.kill(process.pid, "SIGKILL"); // a crash: no close, the reader lock stays behind
}

const [mode, spool, ...rest] = process.argv.slice(2);
if (mode === "write") await write(spool!, rest[0]!, Number(rest[1]), Number(rest[2]));
else if (mode === "read") await readThenCrash(spool!, Number(rest[0]), rest[1] === "commit");
else throw new Error(`unknown mode ${mode}`);
