/**
 * Reading events from outside (a Kafka message, a spool record): every problem is named, so a
 * poison message can be dead-lettered with a reason instead of stopping the pipeline.
 */
import { TollgateEvent } from "./schema.js";
import { isEventInPlace } from "./validate.js";

export type ParsedEvent = { ok: true; event: TollgateEvent } | { ok: false; error: string };

/** One decoder for every message: decoding without `stream` keeps no state between calls. */
const UTF8 = new TextDecoder("utf-8", { fatal: false });

export function parseEvent(bytes: string | Uint8Array): ParsedEvent {
  const text = typeof bytes === "string" ? bytes : UTF8.decode(bytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  // The usual case, checked in place; anything it refuses is zod's to judge and explain.
  if (isEventInPlace(value)) return { ok: true, event: value };
  const result = TollgateEvent.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const problems = result.error.issues.map(
    (issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`,
  );
  return { ok: false, error: `not a tollgate event: ${problems.join("; ")}` };
}

export function serializeEvent(event: TollgateEvent): string {
  return JSON.stringify(event);
}
