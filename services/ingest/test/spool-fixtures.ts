/** What the spool-ingest tests share: small events to spool, and the spool's committed position. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { EVENT_SCHEMA, EventChain, newEventId, type UnsealedEvent } from "@tollgate/events";

/** `count` policy.loaded events of one gateway instance, sealed in one chain. */
export function policyEvents(count: number, instance: string) {
  const chain = new EventChain();
  return Array.from({ length: count }, (_, n) =>
    chain.seal({
      schema: EVENT_SCHEMA,
      id: newEventId(),
      type: "policy.loaded",
      time: Date.UTC(2026, 10, 21) + n,
      gateway: { instance, version: "0.1.0" },
      payload: { name: `p${n}`, digest: `sha256:${n}`, source: "policy.json", previousDigest: null },
    } as UnsealedEvent),
  );
}

/** The highest sequence number the reader has committed (0 before any commit). */
export async function committedSeq(spool: string): Promise<number> {
  try {
    const { writers } = JSON.parse(await readFile(join(spool, "checkpoint.json"), "utf8"));
    return Math.max(0, ...Object.values(writers as Record<string, { seq: number }>).map((w) => w.seq));
  } catch {
    return 0;
  }
}
