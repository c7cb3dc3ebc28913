/** Container logs, written from the image's kind of software and the pod's history. */
import { ClusterError } from "./errors.js";
import type { ClusterState, ContainerSpec, Pod } from "./model.js";
import { fnv1a } from "./names.js";
import { iso } from "./quantity.js";

export interface LogOptions {
  container?: string;
  previous?: boolean;
  sinceMs?: number;
}

interface Line {
  at: number;
  text: string;
}

export function containerOf(pod: Pod, name: string | undefined): ContainerSpec {
  const container = name ? pod.containers.find((candidate) => candidate.name === name) : pod.containers[0];
  if (!container) {
    const names = pod.containers.map((candidate) => candidate.name).join(" ");
    throw new ClusterError(
      "Invalid",
      `container ${name} is not valid for pod ${pod.name}; choose one of: [${names}]`,
    );
  }
  return container;
}

export function podLogs(state: ClusterState, pod: Pod, options: LogOptions = {}): string {
  const container = containerOf(pod, options.container);
  const status = pod.statuses.find((candidate) => candidate.name === container.name);
  const crashing = status?.waitingReason === "CrashLoopBackOff";
  if (options.previous && !status?.restarts) {
    throw new ClusterError(
      "Invalid",
      `previous terminated container "${container.name}" in pod "${pod.name}" not found`,
    );
  }
  if (pod.phase === "Pending") {
    throw new ClusterError(
      "Invalid",
      `container "${container.name}" in pod "${pod.name}" is waiting to start: ContainerCreating`,
    );
  }
  const now = state.clock();
  const lines = crashing ? crashLines(container, now) : steadyLines(pod, container, now);
  const since = options.sinceMs === undefined ? undefined : now - options.sinceMs;
  return lines
    .filter((line) => since === undefined || line.at >= since)
    .map((line) => line.text)
    .join("\n");
}

function crashLines(container: ContainerSpec, now: number): Line[] {
  const start = now - 40_000;
  const text = [
    `{"level":"info","ts":"${iso(start)}","msg":"starting ${container.name}","image":"${container.image}"}`,
    `{"level":"info","ts":"${iso(start + 800)}","msg":"loading configuration","path":"/etc/app/application.yaml"}`,
    `{"level":"error","ts":"${iso(start + 2100)}","msg":"migration 0042_ledger_partitions failed","error":"relation \\"ledger_entries_2025_06\\" already exists"}`,
    `panic: schema migration failed: cannot start with a partially migrated ledger`,
    "",
    "goroutine 1 [running]:",
    "main.main()",
    "\t/src/cmd/server/main.go:87 +0x1f4",
  ];
  return text.map((line, index) => ({ at: start + index * 300, text: line }));
}

function steadyLines(pod: Pod, container: ContainerSpec, now: number): Line[] {
  const image = container.image;
  const family = FAMILIES.find((candidate) => candidate.matches.test(image)) ?? GENERIC;
  const count = 12;
  const seed = fnv1a(pod.name);
  const start = Math.max(pod.createdAt, now - count * 60_000);
  return Array.from({ length: count }, (_, index) => {
    const at = start + Math.floor(((now - start) * index) / count);
    return { at, text: family.line({ at, index, seed, pod, container }) };
  });
}

interface LineInput {
  at: number;
  index: number;
  seed: number;
  pod: Pod;
  container: ContainerSpec;
}

interface Family {
  matches: RegExp;
  line(input: LineInput): string;
}

const PATHS = ["/", "/api/cart", "/api/products?page=2", "/healthz", "/static/app.js", "/api/checkout"];

const FAMILIES: Family[] = [
  {
    matches: /postgres/,
    line: ({ at, index }) =>
      index === 0
        ? `${iso(at)} [1] LOG:  database system is ready to accept connections`
        : `${iso(at)} [${60 + index}] LOG:  checkpoint complete: wrote ${(index * 37) % 400} buffers (${index % 3}.${index}%)`,
  },
  {
    matches: /redis/,
    line: ({ at, index }) =>
      index === 0
        ? `1:M ${iso(at)} * Ready to accept connections tcp`
        : `1:M ${iso(at)} * ${100 + index} changes in 300 seconds. Saving...`,
  },
  {
    matches: /prometheus|grafana|node-exporter|coredns|metrics-server|kube-proxy|open-cluster-management/,
    line: ({ at, index, container }) =>
      `ts=${iso(at)} caller=main.go:${200 + index} level=info component=${container.name} msg="${index === 0 ? "Server is ready to receive requests" : "Completed periodic sync"}"`,
  },
];

const GENERIC: Family = {
  matches: /.*/,
  line: ({ at, index, seed, pod, container }) => {
    if (index === 0)
      return `{"level":"info","ts":"${iso(at)}","msg":"listening","port":${container.ports[0] ?? 8080}}`;
    const path = PATHS[(seed + index) % PATHS.length];
    const latency = 3 + ((seed >>> index) % 120);
    return `{"level":"info","ts":"${iso(at)}","msg":"request served","method":"GET","path":"${path}","status":200,"duration_ms":${latency},"pod":"${pod.name}"}`;
  },
};
