/**
 * The sessions of a demo day, one builder per kind of work. They say what each agent tries; the
 * policy decides what happens (nothing here knows the outcome). Secrets appear in some arguments on
 * purpose: the recorded events must show them redacted.
 */
import { APPROVERS, CONTEXTS, WORKLOADS, type Workload } from "./cast.js";
import type { PlannedCall } from "./plan.js";
import type { Random } from "./random.js";
import { Script } from "./script.js";

export interface Story {
  story: string;
  calls: PlannedCall[];
}

const DIAGNOSTICS = [
  "cat /etc/resolv.conf",
  "df -h /var/lib/app",
  "curl -s -o /dev/null -w '%{http_code}' http://localhost:8080/healthz",
  "env | grep -E 'LOG_LEVEL|LEDGER_DB_HOST'",
  "ss -tnp state established",
  "nslookup ledger-db.payments.svc.cluster.local",
  "ps aux --sort=-%mem | head -5",
  "tail -n 50 /var/log/app/error.log",
  "cat /proc/loadavg",
  "java -XX:+PrintFlagsFinal -version | grep MaxHeapSize",
  "curl -s http://localhost:9090/metrics | grep http_requests_total",
  "openssl s_client -connect ledger-db:5432 -brief </dev/null",
];

function pods(random: Random, workload: Workload, count: number): string[] {
  return random.sample(workload.pods, Math.min(count, workload.pods.length));
}

/** sre-bot's routine sweep: list pods, read events and logs, poke a pod or two. */
export function routineCheck(random: Random): Story {
  const workload = random.pick(WORKLOADS);
  const { context, namespace } = workload;
  const script = new Script(random)
    .call("k8s_get_resources", { context, kind: "pod", namespace })
    .call("k8s_get_events", { context, namespace, limit: 50 });
  if (random.chance(0.4)) script.call("k8s_top_pods", { context, namespace });
  for (const pod of pods(random, workload, random.int(1, 2))) {
    script.call("k8s_get_pod_logs", { context, namespace, pod, sinceDuration: random.pick(["15m", "1h"]) });
    if (random.chance(0.5))
      script.call("k8s_pod_exec", { context, namespace, pod_name: pod, command: random.pick(DIAGNOSTICS) });
  }
  if (random.chance(0.3)) script.call("k8s_get_nodes", { context });
  return { story: `routine check of ${workload.name} in ${context}`, calls: script.calls };
}

/**
 * The incident: payments-api in prod-eu returns 5xx, and sre-bot execs into every pod in a loop,
 * faster than the grant's 10 execs a minute allow; it backs off a minute and carries on.
 */
export function paymentsIncident(random: Random): Story {
  const workload = WORKLOADS.find((w) => w.context === "prod-eu" && w.name === "payments-api")!;
  const { context, namespace } = workload;
  const script = new Script(random)
    .call("k8s_get_resources", { context, kind: "pod", namespace })
    .call("k8s_get_events", { context, namespace, limit: 100 });
  for (const pod of workload.pods)
    script.call("k8s_get_pod_logs", { context, namespace, pod, sinceDuration: "10m" });
  const burst = [...DIAGNOSTICS.slice(0, 5), ...DIAGNOSTICS.slice(2, 7)];
  for (const [i, command] of burst.entries()) {
    for (const pod of workload.pods.slice(0, i % 2 === 0 ? 2 : 1)) {
      script.call("k8s_pod_exec", { context, namespace, pod_name: pod, command });
      script.pause(0, 400); // a loop, not a person: the next exec follows almost at once
    }
  }
  script.pause(60_000, 75_000);
  script.call("k8s_pod_exec", {
    context,
    namespace,
    pod_name: workload.pods[0]!,
    command: "curl -s http://localhost:8080/healthz",
  });
  script.call("k8s_get_resources", { context, kind: "pod", namespace });
  return { story: `incident: payments-api 5xx in ${context}, exec loop`, calls: script.calls };
}

/** deploy-bot rolls a release: checks deployments, pauses a rollout, asks to scale (held for a person). */
export function release(random: Random, approval: PlannedCall["approval"]): Story {
  const workload = random.pick(WORKLOADS.filter((w) => w.kind === "deployment"));
  const { context, namespace, name } = workload;
  const replicas = random.int(3, 8);
  const script = new Script(random)
    .call("k8s_get_resources", { context, kind: "deployment", namespace })
    .call("k8s_rollout_status", { context, namespace, resource_type: "deployment", name })
    .call("k8s_get_resource", { context, namespace, kind: "deployment", name });
  if (random.chance(0.5))
    script.call("k8s_rollout_pause", { context, namespace, resource_type: "deployment", name });
  script.call(
    "k8s_scale_resource",
    { context, namespace, resource_type: "deployment", name, replicas },
    approval === undefined ? {} : { approval },
  );
  script.call("k8s_get_resources", { context, kind: "pod", namespace });
  return { story: `release: scale ${name} in ${context} to ${replicas}`, calls: script.calls };
}

/** How the day's scale requests end: mostly approved, one denied with a reason, one left to time out. */
export function approvalFor(random: Random, index: number): NonNullable<PlannedCall["approval"]> {
  if (index === 1)
    return {
      resolution: "denied",
      afterMs: random.int(40_000, 150_000),
      by: APPROVERS[1],
      note: "change freeze until the capacity review on Thursday",
    };
  if (index === 2) return { resolution: "timed_out", afterMs: 0 };
  return { resolution: "approved", afterMs: random.int(20_000, 200_000), by: random.pick(APPROVERS) };
}

/** triage-agent works a support ticket: events, logs, and tools the policy does not cover. */
export function ticket(random: Random): Story {
  const workload = random.pick(WORKLOADS);
  const { context, namespace, name } = workload;
  const [pod] = pods(random, workload, 1);
  const script = new Script(random)
    .call("k8s_get_events", { context, namespace, limit: 20 })
    .call("k8s_get_pod_logs", { context, namespace, pod, previousContainer: random.chance(0.3) })
    .call("k8s_describe", { context, resource_type: workload.kind, name, namespace });
  if (random.chance(0.5)) script.call("k8s_diagnose_application", { context, namespace, name });
  if (random.chance(0.4))
    script.call(
      "k8s_get_resource",
      { context, namespace, kind: "pod", name: `${name}-gone-x7k2p` },
      { answer: { status: "tool_error", resultBytes: 180 } },
    );
  return { story: `ticket about ${name} in ${context}`, calls: script.calls };
}

/**
 * The careless intern: reads secrets, pastes credentials into arguments, cleans up with rm and
 * delete. The policy stops most of it; redaction keeps the credentials out of the record. The
 * credentials go to tools no rule checks the arguments of, so replay can still re-decide every call
 * (a redacted argument that a check reads would make a call not replayable).
 */
export function internAfternoon(random: Random, part: 0 | 1): Story {
  const context = random.pick(CONTEXTS);
  const script = new Script(random).call("k8s_get_namespaces", { context });
  if (part === 0) {
    script
      .call("k8s_list_secret", { context, namespace: "payments" })
      .call("k8s_get_secret_detail", { context, namespace: "payments", name: "ledger-db-credentials" })
      .call("k8s_create_secret_resource", {
        context,
        namespace: "payments",
        name: "ledger-db-credentials-copy",
        data: { username: "ledger", password: "s3cr3t-ledger-pw" },
      })
      // A token pasted into a command line: redaction replaces just the token, the rest stays readable.
      .call("k8s_run_pod", {
        context: "staging",
        namespace: "payments",
        name: "debug-curl",
        image: "curlimages/curl:8.8.0",
        command: [
          "curl",
          "-s",
          "-H",
          "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJpbnRlcm4ifQ.c2lnbmF0dXJl",
          "http://payments-api.payments.svc.cluster.local:8443/admin/flags",
        ],
        restart: "Never",
      })
      .call("k8s_pod_exec", {
        context: "staging",
        namespace: "payments",
        pod_name: "payments-api-zl6r29nnmk-zzzrg",
        command: "rm -rf /var/cache/payments/*",
      });
    return { story: "intern: secrets and a clean-up", calls: script.calls };
  }
  script
    .call("k8s_create_configmap_resource", {
      context: "staging",
      namespace: "shop",
      name: "frontend-debug",
      data: { DEBUG: "true", API_TOKEN: "ghp_4fT9kQx2ZmLw8RnV1cYb7HsD3jPe6AuGiK0o" },
    })
    .call("k8s_delete_resource", {
      context: "staging",
      resource_type: "pod",
      name: "frontend-4hldps67q4-lqwxs",
      namespace: "shop",
      force: true,
    })
    .call("k8s_delete_ns", { context: "staging", name: "shop" })
    .call("k8s_get_resources", { context: "staging", kind: "pod", namespace: "shop" });
  return { story: "intern: debugging staging by deleting things", calls: script.calls };
}
