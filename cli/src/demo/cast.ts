/**
 * Who takes part in the demo day: the agents (each with its own grant and client), the people who
 * approve, and the fleet they work on. Pod and workload names are the fixture Kubernetes server's
 * seeded fleet (packages/upstreams), so the same arguments also work in `--live` calls.
 */

export interface Persona {
  agent: string;
  grant: string;
  client: { name: string; version: string };
  /** Which simulated gateway the agent goes through: the shared HTTP one, or a stdio one on a laptop. */
  gateway: "http" | "laptop";
}

export const SRE_BOT: Persona = {
  agent: "sre-bot",
  grant: "ops",
  client: { name: "sre-copilot", version: "1.8.2" },
  gateway: "http",
};

export const DEPLOY_BOT: Persona = {
  agent: "deploy-bot",
  grant: "release",
  client: { name: "release-pilot", version: "0.14.0" },
  gateway: "http",
};

export const TRIAGE_AGENT: Persona = {
  agent: "triage-agent",
  grant: "support",
  client: { name: "claude-code", version: "2.0.31" },
  gateway: "http",
};

export const INTERN_AGENT: Persona = {
  agent: "intern-agent",
  grant: "sandbox",
  client: { name: "cursor", version: "1.7.4" },
  gateway: "laptop",
};

export const PERSONAS: readonly Persona[] = [SRE_BOT, DEPLOY_BOT, TRIAGE_AGENT, INTERN_AGENT];

/** People who answer approval requests (admin names in a gateway config). */
export const APPROVERS = ["maria.santos", "devon.li", "priya.raman"] as const;

export interface Workload {
  context: string;
  namespace: string;
  /** Deployment or statefulset name. */
  name: string;
  kind: "deployment" | "statefulset";
  pods: readonly string[];
}

export const WORKLOADS: readonly Workload[] = [
  {
    context: "prod-eu",
    namespace: "payments",
    name: "payments-api",
    kind: "deployment",
    pods: ["payments-api-xr2bgm29s8-hbqwg", "payments-api-xr2bgm29s8-zgr4l", "payments-api-xr2bgm29s8-9n4ch"],
  },
  {
    context: "prod-eu",
    namespace: "shop",
    name: "checkout",
    kind: "deployment",
    pods: ["checkout-vqdxfpn7tx-zxx85", "checkout-vqdxfpn7tx-nbzcn"],
  },
  {
    context: "prod-eu",
    namespace: "shop",
    name: "frontend",
    kind: "deployment",
    pods: ["frontend-4hldps67q4-rds2s", "frontend-4hldps67q4-n4xqc", "frontend-4hldps67q4-zxgms"],
  },
  {
    context: "prod-us",
    namespace: "payments",
    name: "payments-api",
    kind: "deployment",
    pods: ["payments-api-xr2bgm29s8-7n2p2", "payments-api-xr2bgm29s8-4d8fk", "payments-api-xr2bgm29s8-x4d62"],
  },
  {
    context: "prod-us",
    namespace: "shop",
    name: "frontend",
    kind: "deployment",
    pods: ["frontend-4hldps67q4-27jcj", "frontend-4hldps67q4-crwvn", "frontend-4hldps67q4-z2c9l"],
  },
  {
    context: "prod-us",
    namespace: "payments",
    name: "ledger-db",
    kind: "statefulset",
    pods: ["ledger-db-0", "ledger-db-1"],
  },
  {
    context: "staging",
    namespace: "payments",
    name: "payments-api",
    kind: "deployment",
    pods: ["payments-api-zl6r29nnmk-zzzrg"],
  },
  {
    context: "staging",
    namespace: "shop",
    name: "frontend",
    kind: "deployment",
    pods: ["frontend-4hldps67q4-lqwxs", "frontend-4hldps67q4-622c6"],
  },
];

export const CONTEXTS = ["prod-eu", "prod-us", "staging"] as const;
