/**
 * What the main thread and a replay worker say to each other. A worker gets its task as plain data
 * (policies as documents, compiled again there: compiled rules hold functions, which postMessage
 * cannot carry) and asks the main thread for every store read, since the store (chDB, in this
 * process) is the main thread's.
 */
import type { PolicyDoc } from "@tollgate/policy";
import type { BinaryFormat, StoreTarget } from "@tollgate/store";
import type { ReplayFilter, ReplayWindow } from "../recorded.js";
import type { ReportParts } from "../report.js";
import type { ReplayProgress } from "../run.js";
import type { KnownHours } from "../sources/store.js";

/** A policy as a worker compiles it again; the digest checks that it compiled the same rules. */
export interface PolicyText {
  doc: PolicyDoc;
  source: string;
  digest: string;
}

export interface WorkerTask {
  candidate: PolicyText;
  baselines: PolicyText[];
  window: ReplayWindow;
  filter: ReplayFilter;
  seed: number;
  samplesPerCell: number;
  pruneEvery: number | undefined;
  id: string;
  createdAt: number;
  tollgateVersion: string;
  /** The gateway instances this worker replays: all their calls, and no other instance's. */
  instances: string[];
  /** Their calls' histogram by hour over the replay's range: the worker's slices, without a query. */
  hours: KnownHours;
  sliceRows: number | undefined;
  target: StoreTarget;
}

export type StoreMethod = "select" | "selectBinary";

export type WorkerMessage =
  | {
      type: "query";
      id: number;
      method: StoreMethod;
      query: string;
      params: Record<string, unknown>;
      /** selectBinary's format. */
      format?: BinaryFormat;
    }
  | { type: "progress"; progress: ReplayProgress }
  | { type: "done"; parts: ReportParts }
  | { type: "failed"; message: string };

export type MainMessage =
  | { type: "answer"; id: number; result: unknown }
  | { type: "refused"; id: number; message: string };
