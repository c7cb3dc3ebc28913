/**
 * How an event looks on the events topic. The key is the session, so Kafka keeps a session's
 * events in one partition, in order; the headers let a consumer route or count without parsing.
 */
import { serializeEvent, type TollgateEvent } from "@tollgate/events";
import type { Message } from "kafkajs";

export const EVENT_HEADERS = {
  type: "tollgate-event-type",
  schema: "tollgate-schema",
  id: "tollgate-event-id",
} as const;

/** Events outside any session (policy loads) stay in order per gateway instance instead. */
export function eventKey(event: TollgateEvent): string {
  return event.session?.id ?? event.gateway.instance;
}

export function toKafkaMessage(event: TollgateEvent): Message {
  return {
    key: eventKey(event),
    value: serializeEvent(event),
    headers: {
      [EVENT_HEADERS.type]: event.type,
      [EVENT_HEADERS.schema]: event.schema,
      [EVENT_HEADERS.id]: event.id,
    },
  };
}
