/**
 * Ends a run with one plain line, `vitest: N passed, N failed, N skipped`, that CI systems and
 * people can read without knowing vitest's own summary format.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0, pending: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        counts[test.result().state] += 1;
      }
      if (module.state() === "failed" && [...module.children.allTests()].length === 0) counts.failed += 1;
    }
    process.stdout.write(
      `\nvitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
