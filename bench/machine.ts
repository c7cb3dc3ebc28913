/** The machine a benchmark ran on, printed with every set of figures. */
import { cpus, totalmem } from "node:os";

export function describeMachine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  return `${cpu}, ${cpus().length} cores, ${memory}, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** A small deterministic PRNG (mulberry32): the same traffic every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
