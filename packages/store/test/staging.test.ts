/**
 * The files chDB reads inserts from: private, one per insert, gone when the insert ends (stored or
 * failed) and with the store. The store-level block points TMPDIR at a directory of its own, so
 * this file runs in its own process (vitest's forks pool) and sees only its own staging files.
 */
import { spawnSync } from "node:child_process";
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import { eventRows, openStore, type Store, StoreUnavailableError } from "../src/index.js";
import { partsAfter, StagingFiles } from "../src/staging.js";

const scratch = mkdtempSync(join(tmpdir(), "tollgate-staging-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh, empty parent for a test's staging directory. */
const parent = (name: string) => mkdtempSync(join(scratch, `${name}-`));

const onlyEntry = (directory: string) => {
  const entries = readdirSync(directory);
  expect(entries).toHaveLength(1);
  return join(directory, entries[0]!);
};

describe("staging files", () => {
  test("a file holds the bytes in a private directory while it is used, and is gone after", async () => {
    const files = new StagingFiles(parent("use"));
    const bytes = Buffer.from([0, 1, 2, 0xff, 0x80]);
    const seen = await files.withFile([bytes], async (path) => {
      expect(readFileSync(path)).toEqual(bytes);
      expect(statSync(join(path, "..")).mode & 0o777).toBe(0o700);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      return path;
    });
    expect(() => statSync(seen)).toThrow(/ENOENT/);
    await files.remove();
  });

  test("a payload of many megabytes, a view into a larger buffer, is written whole", async () => {
    const files = new StagingFiles(parent("large"));
    const whole = Buffer.alloc(7 * 2 ** 20 + 13);
    for (let i = 0; i < whole.length; i++) whole[i] = (i * 31 + (i >> 11)) & 0xff;
    // Ingest hands over a view of pooled row memory, starting anywhere in it.
    const rows = whole.subarray(4_099, whole.length - 5);
    await files.withFile([rows], async (path) => {
      expect(Buffer.compare(readFileSync(path), rows)).toBe(0);
    });
    await files.remove();
  });

  test("parts, empty ones among them, are written one after the other", async () => {
    const files = new StagingFiles(parent("parts"));
    const whole = Buffer.alloc(3 * 2 ** 20 + 7);
    for (let i = 0; i < whole.length; i++) whole[i] = (i * 17 + (i >> 9)) & 0xff;
    // As Kafka ingest joins partition batches: views of several buffers, some holding no rows.
    const cuts = [0, 0, 5, 2 ** 20, 2 ** 20, 2 ** 21 + 3, whole.length];
    const parts = cuts.slice(1).map((end, index) => Buffer.from(whole.subarray(cuts[index], end)));
    await files.withFile(parts, async (path) => {
      expect(Buffer.compare(readFileSync(path), whole)).toBe(0);
    });
    await files.withFile([Buffer.alloc(0)], async (path) => {
      expect(readFileSync(path)).toHaveLength(0);
    });
    await files.remove();
  });

  test("after a short write, what is left starts at the first byte not written", () => {
    const parts = [Buffer.from("abc"), Buffer.from("de"), Buffer.from("fghi")];
    const text = (rest: Uint8Array[]) => rest.map((part) => Buffer.from(part).toString()).join("|");
    expect(text(partsAfter(parts, 0))).toBe("abc|de|fghi");
    expect(text(partsAfter(parts, 2))).toBe("c|de|fghi");
    expect(text(partsAfter(parts, 3))).toBe("de|fghi");
    expect(text(partsAfter(parts, 6))).toBe("ghi");
    expect(partsAfter(parts, 9)).toEqual([]);
  });

  test("every insert gets a file of its own, concurrent or not, and no name comes twice", async () => {
    const files = new StagingFiles(parent("concurrent"));
    const paths = await Promise.all(
      [1, 2, 3].map((n) =>
        files.withFile([Buffer.from([n])], async (path) => {
          await new Promise((resolve) => setTimeout(resolve, 10));
          expect(readFileSync(path)).toEqual(Buffer.from([n]));
          return path;
        }),
      ),
    );
    const later = await files.withFile([Buffer.from([4])], async (path) => path);
    expect(new Set([...paths, later]).size).toBe(4);
    await files.remove();
  });

  test("a failure while the file is used surfaces as it is, and the file is gone", async () => {
    const files = new StagingFiles(parent("failure"));
    let used = "";
    const failure = new Error("ClickHouse said no");
    await expect(
      files.withFile([Buffer.from("rows")], async (path) => {
        used = path;
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(readdirSync(join(used, ".."))).toEqual([]);
    await files.remove();
  });

  test("a directory removed behind its back fails one insert, and the next makes a new one", async () => {
    const where = parent("cleaned");
    const files = new StagingFiles(where);
    await files.withFile([Buffer.from("rows")], async () => undefined);
    rmSync(onlyEntry(where), { recursive: true });
    await expect(files.withFile([Buffer.from("rows")], async () => undefined)).rejects.toThrow(/ENOENT/);
    const bytes = await files.withFile([Buffer.from("rows")], async (path) => readFileSync(path));
    expect(bytes).toEqual(Buffer.from("rows"));
    expect(statSync(onlyEntry(where)).mode & 0o777).toBe(0o700);
    await files.remove();
  });

  test("remove deletes the directory; later inserts are refused", async () => {
    const where = parent("remove");
    const files = new StagingFiles(where);
    await files.withFile([Buffer.from("rows")], async () => undefined);
    expect(readdirSync(where)).toHaveLength(1);
    await files.remove();
    expect(readdirSync(where)).toEqual([]);
    await expect(files.withFile([Buffer.from("rows")], async () => undefined)).rejects.toThrow(
      StoreUnavailableError,
    );
  });

  test("the directories of processes that are gone are removed; others, links and odd names are left", async () => {
    const where = parent("leftovers");
    // A process that has ended: its number is free (reused within this test only by chance).
    const gone = spawnSync(process.execPath, ["-e", ""]).pid as number;
    const leftover = join(where, `tollgate-insert-${gone}-a1B2c3`);
    mkdirSync(leftover);
    writeFileSync(join(leftover, "rows-7.bin"), "rows of a killed ingest");
    const running = join(where, `tollgate-insert-${process.ppid}-d4E5f6`);
    mkdirSync(running);
    const elsewhere = mkdtempSync(join(scratch, "link-target-"));
    writeFileSync(join(elsewhere, "keep.txt"), "not the store's");
    const link = join(where, `tollgate-insert-${gone}-g7H8i9`);
    symlinkSync(elsewhere, link);
    const oddName = join(where, "tollgate-insert-notapid");
    mkdirSync(oddName);

    const files = new StagingFiles(where);
    const used = await files.withFile([Buffer.from([1])], async (path) => join(path, ".."));
    expect(() => statSync(leftover)).toThrow(/ENOENT/);
    expect(statSync(running).isDirectory()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(elsewhere, "keep.txt"), "utf8")).toBe("not the store's");
    expect(statSync(oddName).isDirectory()).toBe(true);
    // Its own directory is named for this process, so that a later store can tell.
    expect(used).toMatch(new RegExp(`tollgate-insert-${process.pid}-[A-Za-z0-9]{6}$`));
    await files.remove();
  });

  test("a temp directory file() would read as a glob is refused, not guessed at", async () => {
    const files = new StagingFiles(join(scratch, "odd{name}"));
    await expect(files.withFile([Buffer.from("rows")], async () => undefined)).rejects.toThrow(
      /reads as a glob: set TMPDIR/,
    );
  });
});

describe("a chDB store's staging files", () => {
  const temp = parent("store");
  const data = mkdtempSync(join(scratch, "data-"));
  const previousTmpdir = process.env.TMPDIR;
  let store: Store;
  beforeAll(async () => {
    process.env.TMPDIR = temp;
    store = await openStore({ path: data });
  });
  afterAll(async () => {
    await store.close();
    if (previousTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previousTmpdir;
  });

  const someEvents = () => {
    const gateway = new TestGateway();
    return gateway.call(gateway.session(uniqueName("agent")), { tool: "k8s_get_pods", at: recentHour() });
  };

  test("an insert leaves an empty private directory behind until the store closes", async () => {
    const events = someEvents();
    await store.insertEvents(events);
    expect(await store.countEvents({ instance: events[0]!.gateway.instance })).toBe(events.length);
    const staging = onlyEntry(temp);
    expect(statSync(staging).mode & 0o777).toBe(0o700);
    expect(readdirSync(staging)).toEqual([]);
  });

  test("rows ClickHouse cannot read fail the insert loudly, store nothing and leave no file", async () => {
    const events = someEvents();
    const rows = eventRows(events);
    const [payload] = rows.parts as [Uint8Array];
    const truncated = { ...rows, parts: [payload.subarray(0, payload.length - 5)] };
    const deduplicationToken = uniqueName("range");
    await expect(store.insertRows(truncated, { deduplicationToken })).rejects.toThrow(/Cannot read all data/);
    expect(await store.countEvents({ instance: events[0]!.gateway.instance })).toBe(0);
    expect(readdirSync(onlyEntry(temp))).toEqual([]);
    // The same token with the whole rows is a new insert: the failed one left nothing to dedup on.
    await store.insertRows(rows, { deduplicationToken });
    expect(await store.countEvents({ instance: events[0]!.gateway.instance })).toBe(events.length);
  });

  test("closing the store removes its staging directory", async () => {
    const other = await openStore({ path: data });
    await other.insertEvents(someEvents());
    expect(readdirSync(temp)).toHaveLength(2);
    await other.close();
    expect(readdirSync(temp)).toHaveLength(1);
  });
});
