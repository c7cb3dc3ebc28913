/**
 * The prometheus tool: PromQL is not evaluated; the query's metric family (memory, cpu, restarts)
 * and its namespace/pod matchers pick values from the simulated usage, grouped as asked.
 */
import { ClusterError } from "../cluster/errors.js";
import { podUsage } from "../cluster/metrics.js";
import type { ClusterState, Pod } from "../cluster/model.js";
import { fnv1a } from "../cluster/names.js";
import { durationMs, iso } from "../cluster/quantity.js";

export interface PromQuery {
  ql: string;
  dataType: string;
  groupBy: string;
  unit: string;
  start?: string;
  end?: string;
  step?: string;
}

type Metric = "memory" | "cpu" | "restarts" | "up";

const MAX_POINTS = 60;

function metricOf(ql: string): Metric {
  if (/memory|bytes/i.test(ql)) return "memory";
  if (/cpu/i.test(ql)) return "cpu";
  if (/restart/i.test(ql)) return "restarts";
  return "up";
}

/** `namespace="x"`, `pod=~"web-.*"` and their negations, as far as the label matchers go. */
function matcher(ql: string, label: string): (value: string) => boolean {
  const match = new RegExp(`\\b${label}\\s*(=~|!~|!=|=)\\s*"([^"]*)"`).exec(ql);
  if (!match) return () => true;
  const [, operator, pattern = ""] = match;
  if (operator === "=") return (value) => value === pattern;
  if (operator === "!=") return (value) => value !== pattern;
  const regex = compile(pattern);
  return operator === "=~" ? (value) => regex.test(value) : (value) => !regex.test(value);
}

function compile(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    throw new ClusterError("Invalid", `bad_data: invalid regular expression "${pattern}" in label matcher`);
  }
}

function podValue(pod: Pod, metric: Metric): number {
  const usage = podUsage(pod);
  if (metric === "memory") return usage.memoryMi * 1024 * 1024;
  if (metric === "cpu") return usage.cpuMillis / 1000;
  if (metric === "restarts") return pod.statuses.reduce((total, status) => total + status.restarts, 0);
  return pod.phase === "Running" ? 1 : 0;
}

function groupKey(pod: Pod, groupBy: string): string {
  if (groupBy === "namespace") return pod.namespace;
  if (groupBy === "node") return pod.nodeName || "<none>";
  return pod.name;
}

const MEMORY_DIVISORS: Record<string, number> = { bytes: 1, MiB: 1024 ** 2, GiB: 1024 ** 3 };

/** The value in the asked-for unit; "auto" (or a unit that does not fit the metric) picks MiB or cores. */
function convert(value: number, metric: Metric, unit: string): [number, string] {
  if (metric === "memory") {
    const chosen = unit in MEMORY_DIVISORS ? unit : "MiB";
    return [value / (MEMORY_DIVISORS[chosen] ?? 1), chosen];
  }
  if (metric === "cpu") return unit === "millicores" ? [value * 1000, "millicores"] : [value, "cores"];
  return [value, metric === "restarts" ? "restarts" : ""];
}

function series(state: ClusterState, query: PromQuery): Map<string, number> {
  const metric = metricOf(query.ql);
  const inNamespace = matcher(query.ql, "namespace");
  const isPod = matcher(query.ql, "pod");
  const groups = new Map<string, number>();
  for (const pod of state.pods.filter(
    (candidate) => inNamespace(candidate.namespace) && isPod(candidate.name),
  )) {
    const key = groupKey(pod, query.groupBy);
    groups.set(key, (groups.get(key) ?? 0) + podValue(pod, metric));
  }
  return new Map([...groups].sort(([a], [b]) => a.localeCompare(b)));
}

function rangeTimes(state: ClusterState, query: PromQuery): number[] {
  const end = query.end ? Date.parse(query.end) : state.clock();
  const start = query.start ? Date.parse(query.start) : end - 3_600_000;
  const step = durationMs(query.step ?? "5m");
  if (Number.isNaN(start) || Number.isNaN(end) || !step) {
    throw new ClusterError(
      "Invalid",
      "range queries need ISO 8601 start/end and a step such as 30s, 5m or 1h",
    );
  }
  if (end < start) throw new ClusterError("Invalid", "end timestamp must not be before start time");
  const count = Math.min(MAX_POINTS, Math.floor((end - start) / step) + 1);
  return Array.from({ length: count }, (_, index) => start + index * step);
}

export function runPrometheus(state: ClusterState, query: PromQuery): string {
  const metric = metricOf(query.ql);
  const groups = series(state, query);
  const [, unit] = convert(0, metric, query.unit);
  const heading = `Query: ${query.ql}\nCluster: ${state.context}\nType: ${query.dataType}, grouped by ${query.groupBy}${unit ? `, unit: ${unit}` : ""}`;
  if (groups.size === 0) return `${heading}\n\nNo data.`;
  const format = (value: number) => convert(value, metric, query.unit)[0].toFixed(metric === "cpu" ? 3 : 2);
  if (query.dataType !== "range") {
    const rows = [...groups].map(([key, value]) => `${key.padEnd(48)} ${format(value)}`);
    return [heading, "", `${query.groupBy.padEnd(48)} value`, ...rows].join("\n");
  }
  const times = rangeTimes(state, query);
  const blocks = [...groups].map(([key, value]) => {
    // A steady ±10% wobble per series, so ranges look like measurements rather than flat lines.
    const points = times.map(
      (at) => `  ${iso(at)}  ${format(value * (0.9 + (fnv1a(`${key}@${at}`) % 200) / 1000))}`,
    );
    return [`${key}:`, ...points].join("\n");
  });
  return [heading, "", ...blocks].join("\n");
}
