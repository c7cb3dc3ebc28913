/**
 * Where messages that are not tollgate events go, with their origin, so that one bad message never
 * blocks the pipeline and nothing is silently lost. A JSON-lines file, appended and fsync'd before
 * the batch that held the message is committed.
 */
import { mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";

export interface DeadLetter {
  /** Where it came from: `spool:<writer>/<segment>@<offset>` or `kafka:<topic>/<partition>@<offset>`. */
  origin: string;
  error: string;
  /** The message as received: UTF-8 when it decodes cleanly, else base64. */
  payload: Uint8Array;
}

export interface DeadLetterSink {
  write(letters: readonly DeadLetter[]): Promise<void>;
}

export class JsonlDeadLetters implements DeadLetterSink {
  constructor(readonly path: string) {}

  async write(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await mkdir(dirname(this.path), { recursive: true });
    const lines = letters.map((letter) => `${JSON.stringify(describe(letter))}\n`).join("");
    const file = await open(this.path, "a");
    try {
      await file.appendFile(lines, "utf8");
      await file.sync();
    } finally {
      await file.close();
    }
  }
}

function describe(letter: DeadLetter) {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(letter.payload);
  const clean = !text.includes("\uFFFD");
  return {
    at: new Date().toISOString(),
    origin: letter.origin,
    error: letter.error,
    ...(clean ? { payload: text } : { payloadBase64: Buffer.from(letter.payload).toString("base64") }),
  };
}
