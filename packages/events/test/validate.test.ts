/**
 * The in-place check against zod, the schema's own validator: whatever it accepts, zod accepts
 * too, and zod's copy equals the value as the check left it (keys the schema does not name
 * dropped). Inputs: one event of every type with every optional part, mutated at random paths
 * (a key deleted, a value replaced by any JSON, a key added), and any JSON at all.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { EVENT_SCHEMA, EventChain, newEventId, parseEvent, type UnsealedEvent } from "../src/index.js";
import { TollgateEvent } from "../src/schema.js";
import { isEventInPlace } from "../src/validate.js";

const SESSION = {
  id: "s-1",
  agent: "claude-1",
  grant: "ops",
  client: { name: "claude-code", version: "2.1.0" },
  transport: "http",
};
const COUNTER = {
  counter: "exec",
  scope: "grant",
  subject: "ops",
  limit: "tools.k8s_pod_exec.limits[0]",
  windowMs: 60_000,
  max: 10,
  algorithm: "sliding",
  used: 3,
};

/** One event of each type, every optional part present somewhere, sealed in one chain. */
function everyType(): unknown[] {
  const chain = new EventChain();
  const envelope = (type: string, payload: unknown, session?: unknown) =>
    chain.seal({
      schema: EVENT_SCHEMA,
      id: newEventId(),
      type,
      time: 1_767_600_000_000,
      gateway: { instance: "gw", version: "0.1.0" },
      ...(session === undefined ? {} : { session }),
      payload,
    } as UnsealedEvent);
  const verdict = { outcome: "allow", rule: "tools.x", basis: "rule", reason: "ok", counters: [COUNTER] };
  return [
    envelope(
      "call.decided",
      {
        call: {
          id: "c-1",
          requestId: 7,
          server: "k8s",
          tool: "k8s_pod_exec",
          arguments: { command: "ls", nested: { deep: [1, "two", null] } },
          argumentsHash: "sha256:ab",
          redacted: ["token"],
        },
        decision: {
          ...verdict,
          at: 1,
          approvalTimeoutMs: 300_000,
          approval: "granted",
          shadow: { ...verdict, outcome: "deny", counters: [] },
          policy: { name: "p", digest: "sha256:cd" },
        },
      },
      SESSION,
    ),
    envelope(
      "call.completed",
      {
        callId: "c-1",
        status: "error",
        latencyMs: 2.5,
        resultBytes: 10,
        error: { code: -32000, message: "x" },
      },
      { ...SESSION, client: undefined },
    ),
    envelope("approval.requested", {
      callId: "c-1",
      approvalId: "a-1",
      rule: "tools.x",
      reason: "needs a person",
      expiresAt: 5,
    }),
    envelope("approval.resolved", {
      callId: "c-1",
      approvalId: "a-1",
      resolution: "approved",
      by: "ana",
      note: "ok",
    }),
    envelope("policy.loaded", { name: "p", digest: "sha256:1", source: "policy.json", previousDigest: null }),
    envelope("policy.rejected", {
      source: "policy.json",
      keptDigest: "sha256:1",
      problems: [
        { path: "tools", line: 3, message: "bad" },
        { path: "default", message: "worse" },
      ],
    }),
  ].map((event) => JSON.parse(JSON.stringify(event)));
}

type Path = (string | number)[];

/** Every path to a value inside `value`, the root excluded. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== "object") return [];
  const keys: (string | number)[] = Array.isArray(value)
    ? value.map((_, index) => index)
    : Object.keys(value);
  return keys.flatMap((key) => {
    const path = [...prefix, key];
    return [path, ...pathsOf((value as Record<string | number, unknown>)[key], path)];
  });
}

type Mutation = { kind: "delete" | "replace" | "add"; pick: number; json: unknown; key: string };

function mutate(event: unknown, mutation: Mutation): unknown {
  const copy = structuredClone(event);
  const paths = pathsOf(copy);
  const path = paths[mutation.pick % paths.length] as Path;
  const parent = path
    .slice(0, -1)
    .reduce<Record<string | number, unknown>>(
      (node, key) => node[key] as Record<string | number, unknown>,
      copy as Record<string, unknown>,
    );
  const last = path[path.length - 1] as string | number;
  if (mutation.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else if (mutation.kind === "replace") {
    parent[last] = mutation.json;
  } else {
    const target = parent[last];
    if (target !== null && typeof target === "object" && !Array.isArray(target)) {
      (target as Record<string, unknown>)[mutation.key] = mutation.json;
    }
  }
  return copy;
}

/** The property: accepted in place ⇒ accepted by zod, as the same value. */
function agreesWithZod(value: unknown): void {
  const inPlace = structuredClone(value);
  if (!isEventInPlace(inPlace)) return;
  const byZod = TollgateEvent.safeParse(structuredClone(value));
  expect(byZod.success).toBe(true);
  expect(isDeepStrictEqual(inPlace, byZod.data)).toBe(true);
}

const mutation = fc.record({
  kind: fc.constantFrom("delete" as const, "replace" as const, "add" as const),
  pick: fc.nat(),
  json: fc.jsonValue(),
  key: fc.string(),
});

describe("the in-place event check", () => {
  test("accepts every type of event, so that the fast path is the usual one", () => {
    for (const event of everyType()) expect(isEventInPlace(structuredClone(event))).toBe(true);
  });

  test("drops keys the schema does not name, at any depth, as zod's copy does", () => {
    const [decided] = everyType() as [Record<string, Record<string, Record<string, unknown>>>];
    const value = structuredClone(decided);
    value.extra = { from: "a newer gateway" } as never;
    (value.payload as Record<string, Record<string, unknown>>).call!.unknownPart = 1;
    expect(isEventInPlace(value)).toBe(true);
    expect(value).not.toHaveProperty("extra");
    expect(value).toEqual(TollgateEvent.parse(structuredClone(decided)));
    // Arguments are any JSON: nothing inside them is dropped.
    expect((value.payload as Record<string, Record<string, unknown>>).call!.arguments).toEqual({
      command: "ls",
      nested: { deep: [1, "two", null] },
    });
  });

  test("accepts nothing zod refuses, and leaves what zod would: mutated events", () => {
    const events = everyType();
    fc.assert(
      fc.property(
        fc.nat(events.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        (index, changes) => {
          agreesWithZod(changes.reduce((value, change) => mutate(value, change), events[index]));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  test("accepts nothing zod refuses: any JSON", () => {
    fc.assert(fc.property(fc.jsonValue(), agreesWithZod), { numRuns: 1_000 });
  });

  test("a refused event still gets zod's words for what is wrong", () => {
    const [decided] = everyType() as [Record<string, unknown>];
    const parsed = parseEvent(JSON.stringify({ ...decided, time: "yesterday" }));
    expect(parsed).toEqual({
      ok: false,
      error: "not a tollgate event: time: Invalid input: expected number, received string",
    });
  });
});
