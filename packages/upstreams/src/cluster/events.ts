/** Events as the API server keeps them: repeats of the same event bump a count instead of piling up. */
import type { ClusterState, KubeEvent } from "./model.js";
import { newUid, shortHash } from "./names.js";

export interface EventInput {
  namespace: string;
  type?: KubeEvent["type"];
  reason: string;
  object: string;
  message: string;
}

export function recordEvent(state: ClusterState, input: EventInput, at = state.clock()): void {
  const repeat = state.events.find(
    (event) =>
      event.namespace === input.namespace &&
      event.object === input.object &&
      event.reason === input.reason &&
      event.message === input.message,
  );
  if (repeat) {
    repeat.count += 1;
    repeat.lastSeen = at;
    return;
  }
  const objectName = input.object.slice(input.object.indexOf("/") + 1);
  state.events.push({
    name: `${objectName}.${shortHash(`${input.object}${state.serial}`, 8)}`,
    uid: newUid(state),
    labels: {},
    annotations: {},
    createdAt: at,
    lastSeen: at,
    count: 1,
    type: input.type ?? "Normal",
    namespace: input.namespace,
    reason: input.reason,
    object: input.object,
    message: input.message,
  });
}

/** Newest last, as `kubectl get events --sort-by=.lastTimestamp` lists them. */
export function eventsIn(state: ClusterState, namespace: string | undefined): KubeEvent[] {
  return state.events
    .filter((event) => namespace === undefined || event.namespace === namespace)
    .sort((a, b) => a.lastSeen - b.lastSeen);
}
