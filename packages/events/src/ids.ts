import { v7 } from "uuid";

/** Time-ordered ids (UUIDv7): sorting by id sorts by creation time, which ClickHouse and Kafka like. */
export function newEventId(): string {
  return v7();
}
