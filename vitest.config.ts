import { defineConfig } from "vitest/config";

// One chDB path per process and real child processes (brokers, MCP servers) per test file:
// the forks pool keeps every test file in its own process.
export default defineConfig({
  test: {
    pool: "forks",
    reporters: ["default", "./test/reporters/summary.ts"],
    include: ["**/test/**/*.test.ts"],
    // Starts a Kafka broker only when a selected test file is named *.kafka.test.ts.
    globalSetup: ["./test/support/global-setup.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
