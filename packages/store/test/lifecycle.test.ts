import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { recentHour, TestGateway, uniqueName } from "../../../test/support/recorded-events.js";
import { activeEnginePath, EnginePathError, openStore, StoreUnavailableError } from "../src/index.js";

const directories: string[] = [];
const directory = () => {
  const path = mkdtempSync(join(tmpdir(), "tollgate-store-life-"));
  directories.push(path);
  return path;
};

afterAll(() => {
  for (const path of directories) rmSync(path, { recursive: true, force: true });
});

const someEvents = () => {
  const gateway = new TestGateway();
  return gateway.call(gateway.session(uniqueName("agent")), { tool: "k8s_get_pods", at: recentHour() });
};

describe("the embedded engine's life", () => {
  test("ping answers while open, and fails clearly once closed", async () => {
    const store = await openStore({ path: directory() });
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
    await expect(store.ping()).rejects.toThrow(StoreUnavailableError);
    await expect(store.ping()).rejects.toThrow(/the store at chDB path .* is closed/);
    await expect(store.insertEvents(someEvents())).rejects.toThrow(StoreUnavailableError);
    await expect(store.close()).resolves.toBeUndefined();
  });

  test("one chDB path per process: another path is refused until the first is closed", async () => {
    const [first, second] = [directory(), directory()];
    const store = await openStore({ path: first });
    const alsoFirst = await openStore({ path: first });
    const refusal = await openStore({ path: second }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(EnginePathError);
    expect((refusal as Error).message).toContain(`'${first}' is open (2 store(s))`);
    expect((refusal as Error).message).toContain(`before opening '${second}'`);
    await store.close();
    await expect(openStore({ path: second })).rejects.toThrow(EnginePathError);
    await alsoFirst.close();
    expect(activeEnginePath()).toBeUndefined();
    const moved = await openStore({ path: second });
    expect(activeEnginePath()).toBe(second);
    await expect(moved.countEvents()).resolves.toBe(0);
    await moved.close();
  });

  test("a path that cannot hold a database fails clearly and leaves the engine free", async () => {
    const failure = await openStore({ path: "/etc/hostname" }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toMatch(
      /^cannot open the embedded ClickHouse \(chDB\) at '\/etc\/hostname'/,
    );
    expect(activeEnginePath()).toBeUndefined();
  });

  test("events and dedup tokens outlive a close and reopen", async () => {
    const path = directory();
    const events = someEvents();
    const deduplicationToken = uniqueName("offsets");
    const store = await openStore({ path });
    await store.insertEvents(events, { deduplicationToken });
    await store.close();
    const reopened = await openStore({ path });
    await reopened.insertEvents(
      events.map((event) => ({ ...event, time: event.time + 1 })),
      {
        deduplicationToken,
      },
    );
    expect(await reopened.eventIds()).toEqual(events.map((event) => event.id));
    await reopened.close();
  });
});

describe("a ClickHouse server that is not there", () => {
  test("opening fails with the URL, its password masked", async () => {
    const failure = await openStore({ url: "http://tollgate:s3cret@127.0.0.1:9/tollgate" }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(StoreUnavailableError);
    expect((failure as Error).message).toMatch(
      /^ClickHouse is unavailable at http:\/\/tollgate:\*\*\*@127\.0\.0\.1:9\/tollgate: /,
    );
    expect((failure as Error).message).not.toContain("s3cret");
  });
});
