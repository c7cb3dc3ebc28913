/**
 * A replay worker: the engine and a report builder over some gateway instances' calls, read
 * through the main thread's store. It posts what it counted (`ReportParts`) and ends.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type CompiledPolicy, compilePolicy } from "@tollgate/policy";
import { foldCalls, type ReplayOptions, type ReplayProgress, reportBuilderFor } from "../run.js";
import { storeSource } from "../sources/store.js";
import type { MainMessage, PolicyText, StoreMethod, WorkerMessage, WorkerTask } from "./protocol.js";
import { RemoteStore } from "./remote-store.js";
import { ThrottledProgress } from "./throttled-progress.js";

const port = parentPort;
if (port === null) throw new Error("replay's worker module runs only in a worker thread");

const task = workerData as WorkerTask;
const post = (message: WorkerMessage) => port.postMessage(message);
const store = new RemoteStore(task.target, (id: number, method: StoreMethod, query, params, format) =>
  post({ type: "query", id, method, query, params, format }),
);
port.on("message", (message: MainMessage) => store.settle(message));

const progress = new ThrottledProgress((reached) => post({ type: "progress", progress: reached }));
try {
  const options = optionsOf(task, (reached) => progress.report(reached));
  const builder = reportBuilderFor(options);
  await foldCalls(
    storeSource(store, { instances: task.instances, hours: task.hours, sliceRows: task.sliceRows }),
    options,
    builder,
  );
  progress.flush();
  post({ type: "done", parts: builder.parts() });
} catch (error) {
  post({ type: "failed", message: error instanceof Error ? error.message : String(error) });
}
port.close();

function optionsOf(task: WorkerTask, onProgress: (progress: ReplayProgress) => void): ReplayOptions {
  return {
    candidate: compiled(task.candidate),
    baselines: task.baselines.map(compiled),
    window: task.window,
    filter: task.filter,
    seed: task.seed,
    samplesPerCell: task.samplesPerCell,
    pruneEvery: task.pruneEvery,
    onProgress,
    id: task.id,
    createdAt: task.createdAt,
    tollgateVersion: task.tollgateVersion,
  };
}

function compiled(text: PolicyText): CompiledPolicy {
  const result = compilePolicy(text.doc, text.source);
  if (!result.ok) throw new Error(`replay worker: ${text.source} no longer compiles`);
  if (result.policy.digest !== text.digest) {
    throw new Error(`replay worker: ${text.source} compiled to ${result.policy.digest}, not ${text.digest}`);
  }
  return result.policy;
}
