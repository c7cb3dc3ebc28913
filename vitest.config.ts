import { defineConfig } from "vitest/config";

// One chDB path per process and real child processes (brokers, MCP servers) per test file:
// the forks pool keeps every test file in its own process.
export default defineConfig({
  test: {
    pool: "forks",
    include: ["**/test/**/*.test.ts"],
    exclude: ["**/node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
