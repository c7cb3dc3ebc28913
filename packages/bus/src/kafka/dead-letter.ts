/**
 * Poison: a message on the events topic that is not a tollgate event. It goes to the dead-letter
 * topic exactly as it was (key, value and headers byte for byte), with where it came from and why
 * it was refused in extra headers, so someone can inspect it, fix the writer, and replay it.
 */
import type { IHeaders, KafkaMessage, Message } from "kafkajs";

export const ORIGIN_HEADERS = {
  topic: "tollgate-origin-topic",
  partition: "tollgate-origin-partition",
  offset: "tollgate-origin-offset",
  key: "tollgate-origin-key",
  timestamp: "tollgate-origin-timestamp",
  error: "tollgate-error",
} as const;

export interface PoisonMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** The producer's or broker's timestamp, epoch milliseconds as Kafka gives it. */
  timestamp: string;
  headers: IHeaders;
  /** Why it is not an event (parseEvent's reason). */
  error: string;
}

export function toPoison(
  topic: string,
  partition: number,
  message: KafkaMessage,
  error: string,
): PoisonMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key ?? null,
    value: message.value ?? null,
    timestamp: message.timestamp,
    headers: message.headers ?? {},
    error,
  };
}

export function toDeadLetter(poison: PoisonMessage): Message {
  const origin: IHeaders = {
    [ORIGIN_HEADERS.topic]: poison.topic,
    [ORIGIN_HEADERS.partition]: String(poison.partition),
    [ORIGIN_HEADERS.offset]: poison.offset,
    [ORIGIN_HEADERS.timestamp]: poison.timestamp,
    [ORIGIN_HEADERS.error]: poison.error,
  };
  // The key header is left out for a keyless message, so "no key" and "empty key" stay apart.
  if (poison.key !== null) origin[ORIGIN_HEADERS.key] = poison.key;
  return { key: poison.key, value: poison.value, headers: { ...poison.headers, ...origin } };
}
