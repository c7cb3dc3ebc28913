/** Waiting for real processes in tests: a condition, a gateway's health endpoint, a child's exit. */
import type { ChildProcess } from "node:child_process";

/** Polls until `condition` holds; throws naming `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves once a gateway answers on 127.0.0.1:`port` (its /healthz). */
export function healthy(port: number, timeoutMs = 15_000): Promise<void> {
  const answers = () =>
    fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
  return until(answers, `a gateway on 127.0.0.1:${port}`, timeoutMs);
}

/** The child's exit code once it has exited (null when a signal ended it). */
export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}
