import type { TestProject } from "vitest/node";
import { type KafkaBroker, startKafkaBroker } from "./kafka.js";

/**
 * The convention: a test file that needs Kafka is named `*.kafka.test.ts` and calls useKafka()
 * from test/support/kafka.ts. Starting a broker costs seconds, so this setup starts one only
 * when such a file is among those selected for the run, and never when KAFKA_BROKERS is already
 * set (a broker of your own). Workers are forked after global setup, so they inherit
 * KAFKA_BROKERS from this process's environment.
 */
export const KAFKA_TEST_FILE = /\.kafka\.test\.[cm]?[jt]sx?$/;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let broker: Promise<KafkaBroker> | undefined;

  const startIfNeeded = async (testFiles: string[]): Promise<void> => {
    if (broker !== undefined || process.env.KAFKA_BROKERS) return;
    if (!testFiles.some((file) => KAFKA_TEST_FILE.test(file))) return;
    const startedAt = Date.now();
    broker = startKafkaBroker();
    const { brokers, logFile } = await broker;
    process.env.KAFKA_BROKERS = brokers.join(",");
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.info(`[kafka] broker ${brokers.join(",")} ready in ${seconds} s (log: ${logFile})`);
  };

  // Vitest records the files selected for the run before it calls global setup. (That state API
  // is marked experimental: if an upgrade changes it, tsc reports it here.)
  await startIfNeeded(project.vitest.state.getPaths());
  // Global setup runs once per vitest process, so in watch mode a rerun that selects a Kafka
  // test file for the first time has to start the broker here.
  project.onTestsRerun((specifications) => startIfNeeded(specifications.map((spec) => spec.moduleId)));

  return async () => {
    if (broker === undefined) return;
    const started = await broker.catch(() => undefined);
    delete process.env.KAFKA_BROKERS;
    await started?.stop();
  };
}
