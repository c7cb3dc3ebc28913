/** How far a consumer group is behind, per partition, from the broker's own numbers. */
import type { Admin } from "kafkajs";

export interface PartitionLag {
  partition: number;
  /** The offset the next event written to the partition will get. */
  highWatermark: number;
  /** The group's committed offset (the next one it will read); null before its first commit. */
  committed: number | null;
  /** Events written but not yet committed: high watermark − committed offset. */
  lag: number;
}

export async function fetchLag(admin: Admin, groupId: string, topic: string): Promise<PartitionLag[]> {
  const [ends, groupOffsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const committed = new Map(
    (groupOffsets[0]?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]),
  );
  return ends
    .map(({ partition, high, low }) => {
      const offset = committed.get(partition);
      const known = offset !== undefined && offset >= 0;
      // Without a commit the group will start at the oldest retained event.
      const from = known ? offset : Number(low);
      return {
        partition,
        highWatermark: Number(high),
        committed: known ? offset : null,
        lag: Math.max(0, Number(high) - from),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
