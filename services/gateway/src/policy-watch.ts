/**
 * Hot reload: the policy file is watched; a valid change is swapped in atomically and recorded as
 * `policy.loaded`; an invalid one is rejected with its problems logged and recorded as
 * `policy.rejected`, and the last good policy stays in force.
 */
import { type FSWatcher, watch } from "node:fs";
import { formatProblems, readPolicyFile } from "@tollgate/policy";
import type { Enforcer } from "./enforcer.js";
import type { EventRecorder } from "./recorder.js";

const SETTLE_MS = 100;

export class PolicyWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly enforcer: Enforcer,
    private readonly recorder: EventRecorder,
    private readonly log: (message: string) => void,
    /** Called after a new policy is in force: what agents may see (hidden tools) may have changed. */
    private readonly onReloaded: () => void = () => {},
  ) {}

  start(): void {
    // Editors replace files (rename) as often as they write them: watch the path and re-read on any change.
    this.watcher = watch(this.file, () => this.schedule());
    this.watcher.on("error", (error) => this.log(`tollgate: cannot watch ${this.file}: ${error.message}`));
  }

  /** Re-reads the file now; resolves when the new policy is in force or has been rejected. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.load());
    return this.reloading;
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer !== undefined) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
      // A rename leaves the watcher on the old inode: re-arm it on the path.
      this.watcher?.close();
      this.start();
    }, SETTLE_MS);
  }

  private async load(): Promise<void> {
    const result = await readPolicyFile(this.file);
    const current = this.enforcer.policy;
    if (!result.ok) {
      this.log(
        `tollgate: policy change rejected, keeping ${current.digest}\n${formatProblems(result.problems)}`,
      );
      this.recorder.record({
        type: "policy.rejected",
        payload: {
          source: this.file,
          keptDigest: current.digest,
          problems: result.problems.map(({ path, line, message }) => ({
            path,
            message,
            ...(line === undefined ? {} : { line }),
          })),
        },
      });
      return;
    }
    if (result.policy.digest === current.digest) return;
    this.enforcer.replacePolicy(result.policy);
    this.onReloaded();
    this.log(`tollgate: policy reloaded: ${result.policy.name} ${result.policy.digest}`);
    this.recorder.record({
      type: "policy.loaded",
      payload: {
        name: result.policy.name,
        digest: result.policy.digest,
        source: this.file,
        previousDigest: current.digest,
      },
    });
  }
}
