export { type InvariantCheck, invariantChecks, type Violation } from "./checks.js";
export type { DecidedCall, TimedCall } from "./trace.js";
export { TRACE_EPOCH } from "./trace.js";
export { MAX_BURST, type TrafficOptions, trafficArbitrary } from "./traffic.js";
export {
  type Counterexample,
  DEFAULT_RUNS,
  decideTrace,
  type InvariantResult,
  type VerifyOptions,
  type VerifyReport,
  verifyPolicy,
} from "./verify.js";
