/**
 * The bus's topics, created with every setting spelled out: a broker's defaults (one partition,
 * one replica, auto-creation on first produce) are made for demos, and an events topic that
 * silently got them loses either ordering capacity or durability.
 */
import kafkajs, { type Admin } from "kafkajs";

// Node's CommonJS interop does not see this enum as a named export of kafkajs (vitest's does).
const { ConfigResourceTypes } = kafkajs;

export type CleanupPolicy = "delete" | "compact" | "compact,delete";

/**
 * `producer` keeps batches as the producer compressed them. A broker-side zstd, lz4 or snappy
 * would rewrite them in a codec kafkajs cannot read without extra native modules.
 */
export type TopicCompression = "producer" | "gzip" | "uncompressed";

export interface TopicSpec {
  name: string;
  /** Upper bound on consumer parallelism; a session's events share one partition. */
  partitions: number;
  replicationFactor: number;
  /** With acks=all, how many replicas must have an event before it counts as written. */
  minInsyncReplicas: number;
  cleanupPolicy: CleanupPolicy;
  retentionMs: number;
  compression: TopicCompression;
}

export interface BusTopics {
  events: TopicSpec;
  deadLetter: TopicSpec;
}

export interface BusTopicOptions {
  /** The events topic's name. Default: "tollgate.events". */
  events?: string;
  /** Default: the events topic's name + ".dlq". */
  deadLetter?: string;
  /** Default: 12. */
  partitions?: number;
  /** Default: 3 (a production cluster); a single test broker needs 1. */
  replicationFactor?: number;
  /** Default: replicationFactor - 1 (at least 1): one broker may fail without stopping writes. */
  minInsyncReplicas?: number;
  /** How long events stay in the log. Default: 7 days. */
  retentionMs?: number;
  /** How long poison messages stay for someone to look at. Default: 30 days. */
  deadLetterRetentionMs?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function defineBusTopics(options: BusTopicOptions = {}): BusTopics {
  const events = options.events ?? "tollgate.events";
  const replicationFactor = options.replicationFactor ?? 3;
  const shared = {
    replicationFactor,
    minInsyncReplicas: options.minInsyncReplicas ?? Math.max(1, replicationFactor - 1),
    cleanupPolicy: "delete" as const,
    compression: "producer" as const,
  };
  return {
    events: {
      ...shared,
      name: events,
      partitions: options.partitions ?? 12,
      retentionMs: options.retentionMs ?? 7 * DAY_MS,
    },
    // Poison is rare: few partitions, kept long enough for a person to look.
    deadLetter: {
      ...shared,
      name: options.deadLetter ?? `${events}.dlq`,
      partitions: 1,
      retentionMs: options.deadLetterRetentionMs ?? 30 * DAY_MS,
    },
  };
}

/** The broker config entries a topic is created with (and compared against). */
export function topicConfigEntries(spec: TopicSpec): Record<string, string> {
  return {
    "cleanup.policy": spec.cleanupPolicy,
    "retention.ms": String(spec.retentionMs),
    "min.insync.replicas": String(spec.minInsyncReplicas),
    "compression.type": spec.compression,
  };
}

export interface ConfigDrift {
  name: string;
  expected: string;
  actual: string | undefined;
}

export interface TopicReport {
  topic: string;
  created: boolean;
  partitions: number;
  replicationFactor: number;
  /** Settings that differ from the spec but do not stop the bus (changed by an operator, say). */
  drift: ConfigDrift[];
}

/** An existing topic that cannot serve as specified; the bus must not start on it. */
export class TopicMismatchError extends Error {
  override name = "TopicMismatchError";
}

/**
 * Creates the events and dead-letter topics unless they exist, then checks what is there.
 * Safe to call on every start and from several processes at once.
 */
export async function ensureTopics(admin: Admin, topics: BusTopics): Promise<TopicReport[]> {
  const specs = [topics.events, topics.deadLetter];
  for (const spec of specs) validateSpec(spec);
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((spec) => !existing.has(spec.name));
  if (missing.length > 0) {
    // Returns false instead of failing when another process created them first.
    await admin.createTopics({ topics: missing.map((spec) => toTopicConfig(spec)), waitForLeaders: true });
  }
  const created = new Set(missing.map((spec) => spec.name));
  const reports = await Promise.all(specs.map((spec) => inspectTopic(admin, spec, created.has(spec.name))));
  const problems = reports.flatMap((report, i) => mismatches(specs[i]!, report));
  if (problems.length > 0) throw new TopicMismatchError(problems.join("; "));
  return reports;
}

function validateSpec(spec: TopicSpec): void {
  const problems: string[] = [];
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) problems.push("partitions must be ≥ 1");
  if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor < 1)
    problems.push("replicationFactor must be ≥ 1");
  if (spec.minInsyncReplicas < 1 || spec.minInsyncReplicas > spec.replicationFactor)
    problems.push(
      `minInsyncReplicas (${spec.minInsyncReplicas}) must be between 1 and replicationFactor ` +
        `(${spec.replicationFactor}), or no write with acks=all could ever succeed`,
    );
  if (problems.length > 0) throw new Error(`topic "${spec.name}": ${problems.join("; ")}`);
}

/**
 * The topic as kafkajs's `createTopics` takes it. `brokerSettings`: config entries beyond the
 * spec's own, for a topic made outside `ensureTopics` (the pipeline bench sets its segment size).
 */
export function toTopicConfig(spec: TopicSpec, brokerSettings: Record<string, string> = {}) {
  const entries = { ...topicConfigEntries(spec), ...brokerSettings };
  return {
    topic: spec.name,
    numPartitions: spec.partitions,
    replicationFactor: spec.replicationFactor,
    configEntries: Object.entries(entries).map(([name, value]) => ({ name, value })),
  };
}

async function inspectTopic(admin: Admin, spec: TopicSpec, created: boolean): Promise<TopicReport> {
  const { topics } = await admin.fetchTopicMetadata({ topics: [spec.name] });
  const partitions = topics[0]?.partitions ?? [];
  const replicationFactor =
    partitions.length === 0 ? 0 : Math.min(...partitions.map((partition) => partition.replicas.length));
  return {
    topic: spec.name,
    created,
    partitions: partitions.length,
    replicationFactor,
    drift: await configDrift(admin, spec),
  };
}

async function configDrift(admin: Admin, spec: TopicSpec): Promise<ConfigDrift[]> {
  const expected = topicConfigEntries(spec);
  const described = await admin.describeConfigs({
    resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.name, configNames: Object.keys(expected) }],
    includeSynonyms: false,
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const actual = new Map(entries.map((entry) => [entry.configName, entry.configValue]));
  return Object.entries(expected)
    .filter(([name, value]) => actual.get(name) !== value)
    .map(([name, value]) => ({ name, expected: value, actual: actual.get(name) }));
}

/**
 * Fewer partitions than planned cap consumer parallelism below the plan, and fewer replicas lose
 * durability. More of either is fine, and config drift is reported, not fatal.
 */
function mismatches(spec: TopicSpec, report: TopicReport): string[] {
  const problems: string[] = [];
  if (report.partitions < spec.partitions)
    problems.push(
      `topic "${spec.name}" exists with ${report.partitions} partitions, fewer than the ${spec.partitions} ` +
        "configured (add partitions with kafka-topics --alter, or configure fewer)",
    );
  if (report.replicationFactor < spec.replicationFactor)
    problems.push(
      `topic "${spec.name}" exists with replication factor ${report.replicationFactor}, below the ` +
        `${spec.replicationFactor} configured`,
    );
  return problems;
}
