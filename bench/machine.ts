/** The machine a benchmark ran on, printed with every set of figures. */
import { cpus, totalmem } from "node:os";

export function describeMachine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  const memory = `${Math.round(totalmem() / 2 ** 30)} GiB`;
  return `${cpu}, ${cpus().length} cores, ${memory}, Node ${process.version}, ${process.platform}/${process.arch}`;
}
