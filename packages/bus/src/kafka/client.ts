/**
 * The Kafka client the bus uses: bounded retries everywhere, so a broker that is down turns into
 * an error the caller can act on (spool, alert) instead of a request that waits forever.
 */
import { Kafka, type LogEntry, logLevel } from "kafkajs";

export interface KafkaClientOptions {
  /** Bootstrap addresses, e.g. ["127.0.0.1:9092"]. */
  brokers: string[];
  /** Names this process in broker logs and quotas. Default: "tollgate". */
  clientId?: string;
  /** How long one TCP connect may take. Default: 3 s. */
  connectionTimeoutMs?: number;
  /** How long one request may wait for its response. Default: 10 s. */
  requestTimeoutMs?: number;
  /** Retries of connects and metadata requests before giving up. Default: 4 (about 5 s in all). */
  retries?: number;
  /** Default: WARN, which with the quiet log keeps warnings and errors. */
  logLevel?: logLevel;
}

export function createKafka(options: KafkaClientOptions): Kafka {
  return new Kafka({
    clientId: options.clientId ?? "tollgate",
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 4, initialRetryTime: 250, maxRetryTime: 2_000 },
    logLevel: options.logLevel ?? logLevel.WARN,
    logCreator: quietLogCreator,
  });
}

/** Log lines about things the bus handles itself, which would only alarm whoever reads stderr. */
const HANDLED: ((namespace: string, message: string) => boolean)[] = [
  // Every idempotent producer with bounded retries; the bound is the point (see KafkaSink), and
  // a re-sent batch's duplicates are removed downstream by event id.
  (_namespace, message) => message.startsWith("Limiting retries for the idempotent producer"),
  // Two processes creating the same topic at once; ensureTopics throws any other creation error.
  (namespace, message) => namespace === "Connection" && message.startsWith("Response CreateTopics"),
];

/** kafkajs logs a line per retry and rebalance at INFO; keep warnings and errors, on stderr. */
export function quietLogCreator(_level: logLevel) {
  return ({ namespace, level, log }: LogEntry): void => {
    if (level > logLevel.WARN || level === logLevel.NOTHING) return;
    const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
    if (HANDLED.some((handled) => handled(namespace, message))) return;
    const label = level === logLevel.ERROR ? "ERROR" : "WARN";
    const details = Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : "";
    process.stderr.write(`[kafkajs] ${label} ${namespace}: ${message}${details}\n`);
  };
}
