/**
 * @tollgate/replay: what a candidate policy would have done to recorded traffic.
 *
 *   const report = await runReplay(storeSource(store), { candidate, baselines, window, … });
 *   console.log(renderReport(report, "markdown"));
 *   const verdict = judge(report, thresholds);
 */
export { CATEGORIES, CATEGORY_LABELS, type Category, categoryOf, letsThrough } from "./categories.js";
export {
  type Comparison,
  type Mismatch,
  REDACTED_ARGUMENTS,
  Replayer,
  type ReplayObserver,
  type ReplayPolicies,
} from "./engine.js";
export {
  DEFAULT_REPLAY_THREADS,
  type ParallelReplayOptions,
  runParallelReplay,
} from "./parallel/run-parallel.js";
export type {
  RecordedCall,
  RecordedShadow,
  RecordedVerdict,
  ReplayFilter,
  ReplayWindow,
} from "./recorded.js";
export { FORMATS, type ReportFormat, renderReport } from "./render/index.js";
export {
  type CallExample,
  type Coverage,
  type MismatchExample,
  type PolicyRef,
  REPORT_SCHEMA,
  type ReplayReport,
  type ReplaySource,
  type ReplaySummary,
  type SelfCheck,
  type TransitionCell,
} from "./report.js";
export { reportRecord } from "./report-record.js";
export {
  type CallLocator,
  type CallSource,
  DEFAULT_SAMPLES_PER_CELL,
  DEFAULT_SEED,
  type ReplayOptions,
  type ReplayProgress,
  ReplaySourceError,
  runReplay,
} from "./run.js";
export { seededRandom } from "./sample.js";
export { eventsSource, recordedCallOf } from "./sources/events.js";
export { eventsFileSource, spoolSource } from "./sources/files.js";
export { type KafkaSourceOptions, kafkaSource } from "./sources/kafka.js";
export { type ReplayStore, type StoreSourceOptions, storeSource } from "./sources/store.js";
export type { GroupCount } from "./tally.js";
export type { Timeline, TimelineBucket } from "./timeline.js";
export {
  coverageOf,
  judge,
  METRICS,
  type Metric,
  parseThreshold,
  type Threshold,
  type ThresholdCheck,
  ThresholdError,
  type Verdict,
} from "./verdict.js";
