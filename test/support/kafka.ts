import { type ExecFileException, execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { freePorts } from "./free-port.js";

/** Fetches the jars (cached under .cache/kafka/) and starts/stops a single-node KRaft broker. */
const BROKER_SCRIPT = fileURLToPath(new URL("../../scripts/kafka/broker.sh", import.meta.url));

export interface KafkaBrokerOptions {
  /** Where the broker keeps data and logs. Default: a fresh temporary folder that stop() removes. */
  dataDir?: string;
  /** How long the broker may take from launch to serving metadata and groups. Default: 60 s. */
  readyTimeoutMs?: number;
  /** How long a first download of the jars from Maven Central may take. Default: 10 min. */
  fetchTimeoutMs?: number;
  /** Broker and controller ports: give the same ones (and dataDir) to restart a stopped broker. */
  ports?: [number, number];
}

export interface KafkaBroker {
  /** Bootstrap addresses for kafkajs, e.g. ["127.0.0.1:40123"]. */
  readonly brokers: string[];
  /** The broker's own log (warnings and errors only). */
  readonly logFile: string;
  /** Stops the broker; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts a real Apache Kafka broker on 127.0.0.1 and resolves once it serves metadata and its
 * group coordinator is loaded.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  await runBrokerScript(["fetch"], options.fetchTimeoutMs ?? 600_000, "fetching the Kafka jars");
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), "tollgate-kafka-")));
  const logFile = join(dataDir, "broker.log");
  const [port, controllerPort] = options.ports ?? (await freePorts(2));
  const brokers = [`127.0.0.1:${port}`];
  const stop = once(async () => {
    await runBrokerScript(["stop", dataDir], 30_000, "stopping the Kafka broker");
    if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  try {
    const args = ["start", dataDir, String(port), String(controllerPort)];
    await runBrokerScript(args, readyTimeoutMs + 30_000, "starting the Kafka broker");
    await waitUntilServing(brokers, readyTimeoutMs, logFile);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { brokers, logFile, stop };
}

/**
 * The brokers a test file should use: KAFKA_BROKERS (comma-separated), set either by hand to
 * use a running broker or by test/support/global-setup.ts for files named *.kafka.test.ts.
 */
export function useKafka(): string[] {
  const brokers = (process.env.KAFKA_BROKERS ?? "")
    .split(",")
    .map((broker) => broker.trim())
    .filter((broker) => broker !== "");
  if (brokers.length === 0) {
    throw new Error(
      "KAFKA_BROKERS is not set: name the test file *.kafka.test.ts so that vitest's global setup " +
        "(test/support/global-setup.ts) starts a broker, or set KAFKA_BROKERS=host:port to use a running one",
    );
  }
  return brokers;
}

function runBrokerScript(args: string[], timeoutMs: number, doing: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // KAFKA_OWNER_PID lets the script stop the broker if this process dies without calling stop().
    const env = { ...process.env, KAFKA_OWNER_PID: String(process.pid) };
    execFile("bash", [BROKER_SCRIPT, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(describeFailure(doing, error, stderr, timeoutMs)));
    });
  });
}

function describeFailure(doing: string, error: ExecFileException, stderr: string, timeoutMs: number): string {
  if (error.code === "ENOENT") return `${doing} failed: bash not found (apt-get install bash)`;
  if (error.killed) return `${doing} took longer than ${timeoutMs / 1000} s and was stopped`;
  const details = stderr.trim() || error.message;
  return `${doing} failed (${BROKER_SCRIPT}):\n${details}`;
}

async function waitUntilServing(brokers: string[], timeoutMs: number, logFile: string): Promise<void> {
  // Retries are this loop's job; kafkajs would otherwise log every refused attempt as an error.
  const kafka = new Kafka({
    clientId: "tollgate-test-ready",
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    retry: { retries: 0 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await servesMetadataAndGroups(kafka);
      return;
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(
    `the Kafka broker at ${brokers.join(",")} did not serve metadata and consumer groups ` +
      `within ${timeoutMs / 1000} s (last error: ${reason})\n--- last lines of ${logFile} ---\n${await tail(logFile, 25)}`,
  );
}

async function servesMetadataAndGroups(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    // The first group lookup creates and loads __consumer_offsets; doing it here keeps tests'
    // first consumer from joining while the group coordinator is still loading (kafkajs throws
    // on a group's error code, such as "coordinator load in progress").
    await admin.describeGroups(["tollgate-test-ready"]);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, "utf8").catch(() => "(no log)");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function once(action: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= action();
    return result;
  };
}
