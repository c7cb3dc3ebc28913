/**
 * Partition batches that arrive together, stored together. kafkajs hands a fetch's partitions to
 * concurrent handlers, about a megabyte each; one insert per partition batch made ClickHouse write
 * (and then merge) a small part for each. Batches handed over in the same turn of the event loop
 * join one group; each handler's promise settles with the group's store, so no partition's offsets
 * are committed before its events are stored.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

interface Group<T> {
  members: T[];
  stored: Promise<void>;
}

export class BatchGroups<T> {
  private open: Group<T> | undefined;

  constructor(private readonly store: (members: readonly T[]) => Promise<void>) {}

  /** Resolves once the group this batch joined is stored; rejects with the group's failure. */
  add(member: T): Promise<void> {
    const group = this.open ?? this.startGroup();
    group.members.push(member);
    return group.stored;
  }

  private startGroup(): Group<T> {
    const group: Group<T> = { members: [], stored: Promise.resolve() };
    group.stored = nextTurn().then(() => {
      this.open = undefined;
      return this.store(group.members);
    });
    this.open = group;
    return group;
  }
}
