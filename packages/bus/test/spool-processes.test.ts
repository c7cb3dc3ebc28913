import { type ChildProcess, spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type TollgateEvent, verifyChains } from "@tollgate/events";
import { describe, expect, test } from "vitest";
import { type SpoolBatch, SpoolReader, SpoolSink } from "../src/spool/index.js";
import { chainedEvents, publishAll, readAll, withTempSpool } from "./spool-fixtures.js";

// Real processes: several gateways writing one spool at once, and processes that die mid-way.

const CHILD = fileURLToPath(new URL("./spool-child.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

interface Child {
  process: ChildProcess;
  /** Resolves with the first message that matches. */
  waitFor(match: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startChild(args: string[]): Child {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const messages: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on("line", (line) => {
    messages.push(JSON.parse(line) as Record<string, unknown>);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const waitFor = (match: (message: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        const found = messages.find(match);
        if (found === undefined) return;
        waiters.delete(check);
        resolve(found);
      };
      waiters.add(check);
      void exited.then(() => setTimeout(() => reject(new Error(`child exited before ${match}`)), 50));
      check();
    });
  return { process: child, waitFor, exited };
}

function bySeqPerInstance(records: { event: TollgateEvent }[]): Map<string, number[]> {
  const seqs = new Map<string, number[]>();
  for (const { event } of records) {
    const list = seqs.get(event.gateway.instance) ?? [];
    list.push(event.chain.seq);
    seqs.set(event.gateway.instance, list);
  }
  return seqs;
}

const upTo = (count: number) => Array.from({ length: count }, (_, n) => n);

describe("spool across processes", () => {
  test("two writer processes at once: every event of each, exactly once, in its order", async () => {
    await withTempSpool(async (spool) => {
      const count = 3000;
      const writers = ["gw-one", "gw-two"].map((name) =>
        startChild(["write", spool, name, String(count), "16"]),
      );
      await Promise.all(writers.map((child) => child.waitFor((message) => "ready" in message)));
      for (const child of writers) child.process.stdin!.write("go\n");

      // Read while they write: the reader meets live tails and fresh segments as they appear.
      const reader = await SpoolReader.open(spool);
      const read: SpoolBatch = { records: [], poison: [], damage: [], position: reader.committed };
      let finished = false;
      void Promise.all(writers.map((child) => child.exited)).then(() => {
        finished = true;
      });
      for (;;) {
        const wasFinished = finished;
        const batch = await reader.read(500);
        read.records.push(...batch.records);
        read.damage.push(...batch.damage);
        read.poison.push(...batch.poison);
        await reader.commit(batch.position);
        if (batch.records.length === 0) {
          if (wasFinished) break;
          await sleep(5);
        }
      }
      await reader.close();

      const [one, two] = await Promise.all(
        writers.map((child) => child.waitFor((message) => "done" in message)),
      );
      // Both wrote in the same stretch of time, so their records really were interleaved on disk.
      expect(Number(one!.startedAt)).toBeLessThan(Number(two!.finishedAt));
      expect(Number(two!.startedAt)).toBeLessThan(Number(one!.finishedAt));

      expect(read.damage).toEqual([]);
      expect(read.poison).toEqual([]);
      const seqs = bySeqPerInstance(read.records);
      expect(seqs.get("gw-one")).toEqual(upTo(count));
      expect(seqs.get("gw-two")).toEqual(upTo(count));
      expect(verifyChains(read.records.map((record) => record.event))).toEqual([]);
      // Closed and fully committed: both writers' space is gone.
      expect(await readdir(join(spool, "writers"))).toEqual([]);
    });
  });

  test("a writer killed mid-stream keeps every acknowledged event; its space is reclaimed", async () => {
    await withTempSpool(async (spool) => {
      const child = startChild(["write", spool, "gw-doomed", "20000", "8"]);
      await child.waitFor((message) => "ready" in message);
      child.process.stdin!.write("go\n");
      const acked = await child.waitFor((message) => Number(message.acked) >= 800);
      child.process.kill("SIGKILL");
      await child.exited;

      const reader = await SpoolReader.open(spool);
      const read = await readAll(reader);
      const seqs = read.records.map((record) => record.event.chain.seq);
      expect(seqs.length).toBeGreaterThanOrEqual(Number(acked.acked));
      expect(seqs).toEqual(upTo(seqs.length));
      expect(read.damage.length).toBeLessThanOrEqual(1); // at most the record it was writing
      await reader.commit(read.position);
      expect(await readdir(join(spool, "writers"))).toEqual([]); // the dead writer's lock was stale
      await reader.close();
    });
  });

  test("a reader that crashes before commit has its batch re-delivered; after commit, not", async () => {
    await withTempSpool(async (spool) => {
      const sink = await SpoolSink.open(spool, { name: "gw-a", segmentBytes: 8 * 1024 });
      await publishAll((event) => sink.publish(event), chainedEvents("gw-a", 100));
      await sink.close();
      const crashRead = async (commit: boolean) => {
        const child = startChild(["read", spool, "40", commit ? "commit" : "no-commit"]);
        const { seqs } = await child.waitFor((message) => "seqs" in message);
        await child.exited;
        return seqs;
      };
      const nextSeqs = async () => {
        const reader = await SpoolReader.open(spool); // takes over the dead reader's lock
        const batch = await reader.read(10);
        await reader.close();
        return batch.records.map((record) => record.event.chain.seq);
      };

      expect(await crashRead(false)).toEqual(upTo(40));
      expect(await nextSeqs()).toEqual(upTo(10)); // re-delivered from the start
      expect(await crashRead(true)).toEqual(upTo(40));
      expect(await nextSeqs()).toEqual(upTo(10).map((n) => 40 + n)); // resumes after the commit
    });
  });
});
