/**
 * Events as JSON lines in a local file: one event per line, appended in order. It is what a
 * gateway writes on the embedded default until the spool exists; `readJsonl` reads a file back,
 * skipping nothing silently (a bad line is reported with its number).
 */
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { type EventSink, parseEvent, serializeEvent, type TollgateEvent } from "@tollgate/events";

export class JsonlSink implements EventSink {
  /** The last write: each append waits for it, so lines land in publish order. */
  private tail: Promise<unknown>;

  constructor(private readonly path: string) {
    this.tail = mkdir(dirname(path), { recursive: true });
  }

  /**
   * The gateway's recorder publishes several events at once; unordered appends could land in any
   * order, and replay and audit read a file in chain order. One append at a time keeps it.
   */
  publish(event: TollgateEvent): Promise<void> {
    const line = `${serializeEvent(event)}\n`;
    const written = this.tail.then(() => appendFile(this.path, line, "utf8"));
    this.tail = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {}
}

export interface JsonlContents {
  events: TollgateEvent[];
  problems: { line: number; error: string }[];
}

export async function readJsonl(path: string): Promise<JsonlContents> {
  const text = await readFile(path, "utf8");
  const contents: JsonlContents = { events: [], problems: [] };
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const parsed = parseEvent(line);
    if (parsed.ok) contents.events.push(parsed.event);
    else contents.problems.push({ line: index + 1, error: parsed.error });
  });
  return contents;
}
