/**
 * Keeps the micro-benchmark honest (it runs, and what it inserts is what it reads back), and uses
 * its volume to check reads that span several pages.
 */
import { verifyChains } from "@tollgate/events";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { Store } from "../src/index.js";
import { BATCH, benchInsert } from "./bench.js";
import { makeTarget, type TestTarget } from "./support/targets.js";

let target: TestTarget;
let store: Store;

beforeAll(async () => {
  target = await makeTarget("chdb");
  store = await target.open();
});
afterAll(async () => {
  await store?.close();
  await target?.dispose();
});

test("benchInsert inserts in batches of 10k and reads every event back", async () => {
  const figures = await benchInsert(store, 2 * BATCH + 500);
  expect(figures).toMatchObject({ events: 2 * BATCH + 500, batches: 3, readRows: 2 * BATCH + 500 });
  expect(figures.eventsPerSecond).toBeGreaterThan(0);
  expect(figures.rowsPerSecond).toBeGreaterThan(0);
  expect(await store.countEvents()).toBe(2 * BATCH + 500);
});

test("reads of more than a page continue exactly where the last page ended", async () => {
  const { instance } = await benchInsert(store, BATCH + 1);
  const ids = await store.eventIds({ instance });
  expect((await store.readEvents({ instance })).map((event) => event.id)).toEqual(ids);
  expect((await store.readEvents({ instance, limit: BATCH + 1 })).map((event) => event.id)).toEqual(ids);
  const chain = await store.eventsOfInstance(instance);
  expect(chain.map((event) => event.chain.seq)).toEqual(ids.map((_, seq) => seq));
  expect(verifyChains(chain)).toEqual([]);
});
