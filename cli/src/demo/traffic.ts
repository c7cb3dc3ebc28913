/**
 * `tollgate demo traffic`'s engine, free of I/O: a planned day, decided by the real policy and
 * recorded as the gateway records, ready for a spool.
 */
import { createRedactor, DEFAULT_REDACTION, type RedactionRules } from "@tollgate/events";
import { GATEWAY_VERSION } from "@tollgate/gateway";
import type { CompiledPolicy } from "@tollgate/policy";
import { planDay } from "./day.js";
import { type Simulation, simulateDay } from "./simulate.js";

export interface TrafficOptions {
  policy: CompiledPolicy;
  redaction?: RedactionRules;
  /** The upstream's id, as in the gateway's configuration. */
  server: string;
  /** Epoch ms the day ends at. */
  end: number;
  hours: number;
  seed: number;
}

export interface DemoDay extends Simulation {
  instances: string[];
  /** Epoch ms, `to` exclusive: every call of the day falls inside. */
  window: { from: number; to: number };
}

export function demoDay(options: TrafficOptions): DemoDay {
  // Named by seed and end, so two runs never share a chain, and the same run twice writes the same events.
  const suffix = `s${options.seed}-${options.end.toString(36)}`;
  const instances = { http: `demo-http-${suffix}`, laptop: `demo-laptop-${suffix}` };
  const sessions = planDay({ end: options.end, hours: options.hours, seed: options.seed });
  const simulation = simulateDay(sessions, {
    policy: options.policy,
    redact: createRedactor(options.redaction ?? DEFAULT_REDACTION),
    server: options.server,
    instances,
    version: GATEWAY_VERSION,
    seed: options.seed,
  });
  return {
    ...simulation,
    instances: Object.values(instances),
    window: { from: options.end - options.hours * 3_600_000, to: options.end },
  };
}
