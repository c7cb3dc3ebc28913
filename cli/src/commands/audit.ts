/**
 * `tollgate audit verify`: checks every gateway instance's hash chain in the store. A deleted event
 * shows as a gap in the chain, an edited one as a hash that no longer matches its content.
 */
import { type ChainProblem, verifyChains } from "@tollgate/events";
import { openStore, storeOptionsFromEnv } from "@tollgate/store";
import { ExitCode } from "../exit-codes.js";
import type { Output } from "../output.js";

export interface AuditOptions {
  store: string;
  instance?: string;
  json?: boolean;
}

interface InstanceAudit {
  instance: string;
  events: number;
  problems: ChainProblem[];
}

export async function auditVerify(options: AuditOptions, output: Output): Promise<number> {
  const store = await openStore(storeOptionsFromEnv(options.store));
  let audits: InstanceAudit[];
  try {
    const instances = options.instance === undefined ? await store.instances() : [options.instance];
    audits = [];
    for (const instance of instances) {
      const events = await store.eventsOfInstance(instance);
      audits.push({ instance, events: events.length, problems: verifyChains(events) });
    }
  } finally {
    await store.close();
  }
  const intact = audits.every((audit) => audit.problems.length === 0);
  if (options.json) {
    output.out(JSON.stringify({ intact, instances: audits }, null, 2));
  } else {
    for (const audit of audits) {
      const verdict = audit.problems.length === 0 ? "chain intact" : `${audit.problems.length} problem(s)`;
      output.out(`${audit.instance}: ${audit.events} events, ${verdict}`);
      for (const problem of audit.problems)
        output.out(`  ${problem.kind} at seq ${problem.seq}: ${problem.message}`);
    }
    if (audits.length === 0) output.out("no events in the store");
  }
  return intact ? ExitCode.ok : ExitCode.failed;
}
