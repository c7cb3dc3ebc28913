/** Long-running commands (gateway, ingest, up) run until Ctrl-C or a service manager's SIGTERM. */
export function untilSignalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
