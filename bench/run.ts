/**
 * `npm run bench`: runs every benchmark in one process and prints the figures with the machine.
 * `npm run bench -- policy` runs one group.
 */

import { runGatewayBench } from "./gateway.bench.js";
import { describeMachine } from "./machine.js";
import { runPipelineBench } from "./pipeline.bench.js";
import { type Figure, runPolicyBench } from "./policy.bench.js";
import { runReplayBench } from "./replay.bench.js";

const groups: Record<string, () => Figure[] | Promise<Figure[]>> = {
  policy: runPolicyBench,
  gateway: runGatewayBench,
  pipeline: runPipelineBench,
  replay: runReplayBench,
};

function format(figure: Figure): string {
  const value =
    figure.unit === "B"
      ? `${(figure.value / 2 ** 20).toFixed(2)} MiB`
      : figure.unit === "ms"
        ? `${figure.value.toFixed(3)} ms`
        : figure.unit === " µs"
          ? `${figure.value.toFixed(2)} µs`
          : `${Math.round(figure.value).toLocaleString("en-US")}${figure.unit}`;
  return `  ${figure.name.padEnd(52)} ${value.padStart(16)}${figure.note ? `   (${figure.note})` : ""}`;
}

const selected = process.argv.slice(2);
const names = selected.length > 0 ? selected : Object.keys(groups);
console.log(`tollgate bench — ${new Date().toISOString()}\nmachine: ${describeMachine()}`);
for (const name of names) {
  const group = groups[name];
  if (group === undefined) {
    console.error(`unknown benchmark group "${name}"; known: ${Object.keys(groups).join(", ")}`);
    process.exit(3);
  }
  console.log(`\n[${name}]`);
  for (const figure of await group()) console.log(format(figure));
}
