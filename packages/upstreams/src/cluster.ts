/**
 * A deterministic multi-cluster Kubernetes: kubeconfig contexts, each with its own cluster state.
 * The same calls in the same order always give the same names, IPs and timestamps, because the
 * only time source is the clock passed in (by default a logical one) and names come from serials.
 */
import { ClusterError } from "./cluster/errors.js";
import { fleetBlueprints } from "./cluster/fleet.js";
import { resolveKind } from "./cluster/kinds.js";
import { type Manifest, toManifest } from "./cluster/manifest.js";
import type { ClusterState } from "./cluster/model.js";
import { buildCluster, SEED_TIME } from "./cluster/seed.js";
import { findResource, listResources } from "./cluster/store.js";

export interface SimulatedClusterOptions {
  /**
   * Epoch milliseconds. Defaults to a logical clock that starts at the seed time and advances one
   * second per reading, so ages and timestamps are the same on every run.
   */
  clock?: () => number;
}

export interface ContextInfo {
  name: string;
  cluster: string;
  user: string;
  server: string;
  current: boolean;
}

function logicalClock(): () => number {
  let now = SEED_TIME;
  return () => {
    now += 1000;
    return now;
  };
}

export class SimulatedCluster {
  readonly #clusters = new Map<string, ClusterState>();
  readonly now: () => number;

  constructor(options: SimulatedClusterOptions = {}) {
    this.now = options.clock ?? logicalClock();
    for (const blueprint of fleetBlueprints()) {
      this.#clusters.set(blueprint.context, buildCluster(blueprint, this.now));
    }
  }

  contextNames(): string[] {
    return [...this.#clusters.keys()];
  }

  contexts(): ContextInfo[] {
    return [...this.#clusters.values()].map((state, index) => ({
      name: state.context,
      cluster: state.clusterName,
      user: state.user,
      server: state.server,
      current: index === 0,
    }));
  }

  /** The live state of one context; tools mutate it through the cluster/* operations. */
  context(name: string): ClusterState {
    const state = this.#clusters.get(name);
    if (!state) {
      throw new ClusterError(
        "UnknownContext",
        `context "${name}" not found; available contexts: ${this.contextNames().join(", ")}`,
      );
    }
    return state;
  }

  /** Manifests of a kind ("pods", "deploy", "Namespace"...), for tests and the demo to inspect state. */
  list(context: string, kind: string, namespace?: string): Manifest[] {
    const state = this.context(context);
    return listResources(state, resolveKind(state, kind), namespace).map((resource) =>
      structuredClone(toManifest(state, resource)),
    );
  }

  get(context: string, kind: string, name: string, namespace = "default"): Manifest | undefined {
    const state = this.context(context);
    const resource = findResource(state, resolveKind(state, kind), name, namespace);
    return resource && structuredClone(toManifest(state, resource));
  }
}
