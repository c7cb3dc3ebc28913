import type { ReplayProgress } from "../run.js";

const PROGRESS_EVERY_MS = 100;

/**
 * Progress at most every PROGRESS_EVERY_MS, and the last one when the fold ends: a message per
 * batch of 8,192 calls took about 1 % of a worker's time, and a progress bar needs far fewer.
 */
export class ThrottledProgress {
  private latest: ReplayProgress | undefined;
  private postedAt = 0;

  constructor(private readonly send: (progress: ReplayProgress) => void) {}

  report(progress: ReplayProgress): void {
    this.latest = progress;
    const now = performance.now();
    if (now - this.postedAt < PROGRESS_EVERY_MS) return;
    this.postedAt = now;
    this.flush();
  }

  flush(): void {
    if (this.latest === undefined) return;
    this.send(this.latest);
    this.latest = undefined;
  }
}
