/**
 * Connecting the CLI's services to Kafka: the client, and the bus topics made sure of with explicit
 * settings (never auto-created). Replication defaults to min(3, brokers in the cluster), so one local
 * broker works and a real cluster gets three copies with min.insync.replicas 2.
 */
import { type BusTopics, createKafka, defineBusTopics, ensureTopics, type Kafka } from "@tollgate/bus";
import { UsageError } from "../exit-codes.js";

export interface KafkaTopicsOptions {
  brokers: string;
  topic: string;
  clientId: string;
}

export async function connectKafka(
  options: KafkaTopicsOptions,
): Promise<{ kafka: Kafka; topics: BusTopics }> {
  const brokers = brokersOf(options.brokers);
  const kafka = createKafka({ brokers, clientId: options.clientId });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    const replicationFactor = Math.min(3, cluster.brokers.length);
    const topics = defineBusTopics({ events: options.topic, replicationFactor });
    await ensureTopics(admin, topics);
    return { kafka, topics };
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`cannot prepare Kafka at ${brokers.join(",")}: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** `--kafka host:port,…` as a list; empty is a usage error. */
export function brokersOf(option: string): string[] {
  const brokers = option
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
  if (brokers.length === 0) throw new UsageError("--kafka needs at least one broker (host:port)");
  return brokers;
}
