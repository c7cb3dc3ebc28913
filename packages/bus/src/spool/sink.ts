/** The gateway's side of the spool: events in, durable on disk when `publish` resolves. */
import { type EventSink, serializeEvent, type TollgateEvent } from "@tollgate/events";
import { SpoolWriter, type SpoolWriterOptions } from "./writer.js";

export class SpoolSink implements EventSink {
  constructor(readonly writer: SpoolWriter) {}

  static async open(directory: string, options: SpoolWriterOptions = {}): Promise<SpoolSink> {
    return new SpoolSink(await SpoolWriter.open(directory, options));
  }

  /**
   * Resolves once the event is written and fsync'd (group commit: concurrent publishes share one
   * fsync). Rejects with SpoolFullError at the size limit, never dropping silently.
   */
  async publish(event: TollgateEvent): Promise<void> {
    await this.writer.append(Buffer.from(serializeEvent(event), "utf8"));
  }

  async close(): Promise<void> {
    await this.writer.close();
  }
}
