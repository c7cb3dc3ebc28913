import { describe, expect, test } from "vitest";
import {
  createRedactor,
  EVENT_SCHEMA,
  EventChain,
  hashValue,
  newEventId,
  parseEvent,
  serializeEvent,
  type TollgateEvent,
  type UnsealedEvent,
  verifyChains,
} from "../src/index.js";

function policyLoaded(instance: string, n: number): UnsealedEvent {
  return {
    schema: EVENT_SCHEMA,
    id: newEventId(),
    type: "policy.loaded",
    time: 1_767_600_000_000 + n,
    gateway: { instance, version: "0.1.0" },
    payload: { name: `p${n}`, digest: `sha256:${n}`, source: "policy.json", previousDigest: null },
  } as UnsealedEvent;
}

function sealedRun(instance: string, count: number): TollgateEvent[] {
  const chain = new EventChain();
  return Array.from({ length: count }, (_, n) => chain.seal(policyLoaded(instance, n)));
}

describe("hash chain", () => {
  test("an intact chain of two instances, in any order, verifies clean", () => {
    const events = [...sealedRun("gw-a", 5), ...sealedRun("gw-b", 3)].reverse();
    expect(verifyChains(events)).toEqual([]);
  });

  test("a deleted event is reported as missing, with the gap", () => {
    const events = sealedRun("gw-a", 6);
    events.splice(2, 2);
    expect(verifyChains(events)).toEqual([
      expect.objectContaining({
        instance: "gw-a",
        kind: "missing",
        seq: 4,
        message: "2 events missing before seq 4 (seq 2–3)",
      }),
    ]);
  });

  test("an edited event no longer matches its hash", () => {
    const events = sealedRun("gw-a", 3);
    const edited = structuredClone(events[1]!) as Extract<TollgateEvent, { type: "policy.loaded" }>;
    edited.payload.name = "innocent";
    events[1] = edited;
    expect(verifyChains(events)).toEqual([expect.objectContaining({ kind: "edited", seq: 1 })]);
  });

  test("a duplicated event is reported", () => {
    const events = sealedRun("gw-a", 3);
    events.push(structuredClone(events[1]!));
    expect(verifyChains(events).map((p) => p.kind)).toEqual(["duplicate"]);
  });

  test("ids are time-ordered UUIDv7", () => {
    const ids = Array.from({ length: 50 }, () => newEventId());
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("redaction", () => {
  const redact = createRedactor();

  test("secret keys lose their whole value, at any depth", () => {
    const result = redact({
      context: "prod",
      env: { API_TOKEN: "abc123", region: "eu" },
      password: "hunter2",
    });
    expect(result.value).toEqual({
      context: "prod",
      env: { API_TOKEN: "[REDACTED]", region: "eu" },
      password: "[REDACTED]",
    });
    expect(result.paths.sort()).toEqual(["env.API_TOKEN", "password"]);
  });

  test("secrets inside strings are cut out and the rest stays readable", () => {
    const command = "kubectl create secret generic db --from-literal=password=s3cr3t -n prod";
    const header = "curl -H 'Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl' https://api";
    const result = redact({ command, header, key: "AKIAABCDEFGHIJKLMNOP" });
    expect(result.value).toEqual({
      command: "kubectl create secret generic db --from-literal=password=[REDACTED] -n prod",
      header: "curl -H 'Authorization: [REDACTED]' https://api",
      key: "[REDACTED]",
    });
    expect(result.paths.sort()).toEqual(["command", "header", "key"]);
  });

  test("nothing to redact leaves the value equal and reports no paths", () => {
    const args = { context: "prod-eu", namespace: "default", replicas: 3, labels: ["a", "b"] };
    expect(redact(args)).toEqual({ value: args, paths: [] });
  });

  test("custom rules replace the defaults, and a bad rule is a clear error", () => {
    const custom = createRedactor({ keys: ["^ssn$"], values: ["\\d{3}-\\d{2}-\\d{4}"], replacement: "***" });
    expect(custom({ ssn: "x", note: "call 123-45-6789", token: "kept" }).value).toEqual({
      ssn: "***",
      note: "call ***",
      token: "kept",
    });
    expect(() => createRedactor({ keys: ["("], values: [] })).toThrow(
      "redaction rule in keys does not compile: /(/",
    );
  });

  test("the arguments hash does not depend on key order", () => {
    expect(hashValue({ a: 1, b: [1, 2] })).toBe(hashValue({ b: [1, 2], a: 1 }));
    expect(hashValue({ a: 1 })).not.toBe(hashValue({ a: 2 }));
  });
});

describe("parsing events from outside", () => {
  test("a sealed event round-trips", () => {
    const [event] = sealedRun("gw-a", 1);
    const parsed = parseEvent(new TextEncoder().encode(serializeEvent(event!)));
    expect(parsed).toEqual({ ok: true, event });
  });

  test("poison is named, not thrown", () => {
    expect(parseEvent("{not json")).toMatchObject({ ok: false, error: expect.stringContaining("not JSON") });
    const [event] = sealedRun("gw-a", 1);
    const wrong = { ...event, schema: "other/v9", chain: { seq: -1, prev: null, hash: "x" } };
    const parsed = parseEvent(JSON.stringify(wrong));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error).toContain("schema");
      expect(parsed.error).toContain("chain.seq");
    }
  });
});
