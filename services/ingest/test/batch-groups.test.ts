import { setImmediate as nextTurn } from "node:timers/promises";
import { expect, test } from "vitest";
import { BatchGroups } from "../src/batch-groups.js";

/** A store whose calls the test settles by hand. */
function manualStore() {
  const calls: { members: readonly string[]; settle: (error?: Error) => void }[] = [];
  const store = (members: readonly string[]) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ members: [...members], settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, store };
}

test("batches handed over in one turn are stored together, and each settles only once that store has", async () => {
  const { calls, store } = manualStore();
  const groups = new BatchGroups(store);
  const settled: string[] = [];
  const added = ["p0", "p1", "p2"].map((member) => groups.add(member).then(() => settled.push(member)));
  await nextTurn();
  await nextTurn();
  expect(calls.map((call) => call.members)).toEqual([["p0", "p1", "p2"]]);
  expect(settled).toEqual([]); // the store has not acknowledged yet: nothing may be committed
  calls[0]?.settle();
  await Promise.all(added);
  expect(settled.sort()).toEqual(["p0", "p1", "p2"]);
});

test("a batch handed over after the group left starts the next group", async () => {
  const { calls, store } = manualStore();
  const groups = new BatchGroups(store);
  const first = groups.add("a");
  await nextTurn();
  const second = groups.add("b");
  await nextTurn();
  expect(calls.map((call) => call.members)).toEqual([["a"], ["b"]]);
  for (const call of calls) call.settle();
  await Promise.all([first, second]);
});

test("a failed store fails every batch of its group, and the next group is stored afresh", async () => {
  const { calls, store } = manualStore();
  const groups = new BatchGroups(store);
  const failed = [groups.add("x"), groups.add("y")];
  await nextTurn();
  calls[0]?.settle(new Error("ClickHouse is down"));
  for (const member of failed) await expect(member).rejects.toThrow("ClickHouse is down");
  const retried = groups.add("x");
  await nextTurn();
  expect(calls[1]?.members).toEqual(["x"]);
  calls[1]?.settle();
  await expect(retried).resolves.toBeUndefined();
});
