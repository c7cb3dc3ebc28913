/**
 * The seeded fleet: an OCM hub and three managed clusters. Production carries real-looking payments
 * data (secrets, databases) so policies have something worth protecting; staging carries the two
 * incidents the demo walks through: a crash-looping release and a paused rollout.
 */
import {
  binding,
  configMap,
  crd,
  cronJob,
  daemonSet,
  deployment,
  namespace,
  networkPolicy,
  role,
  rule,
  secret,
  service,
  serviceAccount,
  statefulSet,
  storageClass,
  volume,
} from "./builders.js";
import type { ClusterBlueprint, HistoryStep, NodeBlueprint } from "./seed.js";

type Manifest = Record<string, unknown>;

const REGISTRY = "registry.example.com";
const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" };

function system(region: string): Manifest[] {
  return [
    ...["default", "kube-system", "kube-public", "kube-node-lease"].map((name) => namespace(name)),
    deployment("kube-system", "coredns", {
      image: "registry.k8s.io/coredns/coredns:v1.11.1",
      replicas: 2,
      port: 53,
      labels: { "k8s-app": "kube-dns" },
      memory: "170Mi",
    }),
    deployment("kube-system", "metrics-server", {
      image: "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
    }),
    daemonSet("kube-system", "kube-proxy", {
      image: `602401143452.dkr.ecr.${region}.amazonaws.com/eks/kube-proxy:v1.30.0`,
    }),
    service("kube-system", "kube-dns", 53, { selector: { "k8s-app": "kube-dns" } }),
    service("default", "kubernetes", 443, { targetPort: 6443, selector: null }),
    role(undefined, "cluster-admin", [rule(["*"], ["*"], ["*"])]),
    role(undefined, "admin", [rule(["", "apps", "batch"], ["*"], ["*"])]),
    role(undefined, "edit", [rule(["", "apps", "batch"], ["*"], ["create", "update", "patch", "delete"])]),
    role(undefined, "view", [rule(["", "apps", "batch"], ["*"], ["get", "list", "watch"])]),
    binding(undefined, "cluster-admin", "cluster-admin", {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Group",
      name: "system:masters",
    }),
    storageClass("gp3", true),
    storageClass("gp2", false),
  ];
}

function shop(frontendReplicas: number, checkoutReplicas: number): Manifest[] {
  return [
    namespace("shop", { team: "storefront" }),
    deployment("shop", "frontend", {
      image: `${REGISTRY}/shop/frontend:1.13.0`,
      replicas: frontendReplicas,
      port: 8080,
      env: { CHECKOUT_URL: "http://checkout.shop.svc.cluster.local:8080" },
      labels: { tier: "web" },
    }),
    deployment("shop", "checkout", {
      image: `${REGISTRY}/shop/checkout:3.2.0`,
      replicas: checkoutReplicas,
      port: 8080,
      env: { PAYMENTS_URL: "http://payments-api.payments.svc.cluster.local:8443" },
      cpu: "250m",
      memory: "256Mi",
    }),
    statefulSet("shop", "cart-redis", {
      image: "docker.io/library/redis:7.2.5",
      port: 6379,
      memory: "512Mi",
    }),
    service("shop", "frontend", 80, { targetPort: 8080, type: "LoadBalancer" }),
    service("shop", "checkout", 8080),
    service("shop", "cart-redis", 6379),
    configMap("shop", "frontend-config", {
      FEATURE_FLAGS: "new-cart=true,recommendations=false",
      THEME: "summer",
    }),
    secret("shop", "checkout-stripe", { "api-key": "sk_live_51Hc0ffee0000000000000000" }),
    serviceAccount("shop", "checkout"),
  ];
}

function payments(apiReplicas: number): Manifest[] {
  return [
    namespace("payments", { team: "payments", "pci-scope": "true" }),
    deployment("payments", "payments-api", {
      image: `${REGISTRY}/payments/api:2.6.0`,
      replicas: apiReplicas,
      port: 8443,
      env: { LEDGER_DB_HOST: "ledger-db.payments.svc.cluster.local", LOG_LEVEL: "info" },
      cpu: "500m",
      memory: "512Mi",
      changeCause: "release 2.6.0",
    }),
    statefulSet("payments", "ledger-db", {
      image: "docker.io/library/postgres:16.3",
      replicas: 2,
      port: 5432,
      env: { POSTGRES_DB: "ledger" },
      cpu: "1",
      memory: "2Gi",
    }),
    service("payments", "payments-api", 8443),
    service("payments", "ledger-db", 5432),
    configMap("payments", "payments-api-config", { "application.yaml": "ledger:\n  timeoutMs: 1500\n" }),
    secret("payments", "ledger-db-credentials", { username: "ledger", password: "s3cr3t-ledger-pw" }),
    secret(
      "payments",
      "payments-api-tls",
      { "tls.crt": "-----BEGIN CERTIFICATE-----", "tls.key": "-----BEGIN PRIVATE KEY-----" },
      "kubernetes.io/tls",
    ),
    serviceAccount("payments", "payments-api"),
    role("payments", "secret-reader", [rule([""], ["secrets"], ["get", "list"])]),
    binding("payments", "payments-api-secret-reader", "secret-reader", {
      kind: "ServiceAccount",
      name: "payments-api",
      namespace: "payments",
    }),
    ...volume("payments", "data-ledger-db-0", "100Gi", "pvc-3f1c2a9e-ledger-0"),
    ...volume("payments", "data-ledger-db-1", "100Gi", "pvc-8b7d4e21-ledger-1"),
    networkPolicy("payments", "default-deny", { podSelector: {}, policyTypes: ["Ingress"] }),
    networkPolicy("payments", "allow-from-shop", {
      podSelector: { matchLabels: { app: "payments-api" } },
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } } }] },
      ],
    }),
    ...cronJob(
      "payments",
      "ledger-reconcile",
      "0 2 * * *",
      `${REGISTRY}/payments/reconcile:1.4.0`,
      "2025-06-02T02:00:00Z",
    ),
  ];
}

function monitoring(): Manifest[] {
  return [
    namespace("monitoring"),
    crd("monitoring.coreos.com", "ServiceMonitor", "servicemonitors", "v1", "Namespaced", ["smon"]),
    statefulSet("monitoring", "prometheus", {
      image: "quay.io/prometheus/prometheus:v2.53.0",
      port: 9090,
      cpu: "500m",
      memory: "2Gi",
    }),
    daemonSet("monitoring", "node-exporter", {
      image: "quay.io/prometheus/node-exporter:v1.8.1",
      port: 9100,
    }),
    deployment("monitoring", "grafana", { image: "docker.io/grafana/grafana:11.1.0", port: 3000 }),
    service("monitoring", "prometheus", 9090),
    service("monitoring", "grafana", 80, { targetPort: 3000 }),
    ...volume("monitoring", "prometheus-data", "200Gi", "pvc-0c9e5a77-prometheus"),
  ];
}

/** Later releases, applied after the initial rollout so the workloads have revision history. */
function releases(
  options: { frontend: string; payments: string[] },
  replicas: { frontend: number; api: number },
) {
  const steps: HistoryStep[] = [
    {
      daysAgo: 12,
      manifests: [
        deployment("shop", "frontend", {
          image: `${REGISTRY}/shop/frontend:${options.frontend}`,
          replicas: replicas.frontend,
          port: 8080,
          env: { CHECKOUT_URL: "http://checkout.shop.svc.cluster.local:8080" },
          labels: { tier: "web" },
        }),
      ],
    },
  ];
  options.payments.forEach((version, index) => {
    steps.push({
      daysAgo: 9 - index * 3,
      manifests: [
        deployment("payments", "payments-api", {
          image: `${REGISTRY}/payments/api:${version}`,
          replicas: replicas.api,
          port: 8443,
          env: { LEDGER_DB_HOST: "ledger-db.payments.svc.cluster.local", LOG_LEVEL: "info" },
          cpu: "500m",
          memory: "512Mi",
          changeCause: `release ${version}`,
        }),
      ],
    });
  });
  return steps;
}

function eksNodes(
  prefix: string,
  region: string,
  count: number,
  cpu: number,
  memoryGi: number,
): NodeBlueprint[] {
  return Array.from({ length: count }, (_, index) => {
    const ip = `${prefix}.${index + 1}.${17 + index * 23}`;
    return {
      name: `ip-${ip.replaceAll(".", "-")}.${region}.compute.internal`,
      internalIP: ip,
      cpu,
      memoryGi,
      labels: { "node.kubernetes.io/instance-type": cpu >= 4 ? "m6i.xlarge" : "t3.large" },
    };
  });
}

function eks(
  context: string,
  region: string,
  account: string,
): Pick<ClusterBlueprint, "clusterName" | "user" | "server"> {
  const arn = `arn:aws:eks:${region}:${account}:cluster/${context}`;
  return {
    clusterName: arn,
    user: arn,
    server: `https://${context.toUpperCase()}0A1B2C3D.gr7.${region}.eks.amazonaws.com`,
  };
}

function production(context: string, region: string, prefix: string, scale: number): ClusterBlueprint {
  const replicas = { frontend: 3 * scale, api: 3 * scale };
  return {
    context,
    ...eks(context, region, "123456789012"),
    version: "v1.30.2-eks-1552ad0",
    region,
    nodes: eksNodes(prefix, region, 2 + scale, 4, 16),
    history: [
      {
        daysAgo: 120,
        manifests: [
          ...system(region),
          crd("cert-manager.io", "Certificate", "certificates", "v1", "Namespaced", ["cert"]),
          ...shop(replicas.frontend, 2 * scale),
          ...payments(replicas.api),
          ...monitoring(),
        ],
      },
      ...releases({ frontend: "1.14.2", payments: ["2.7.0", "2.7.1"] }, replicas),
    ],
  };
}

function staging(): ClusterBlueprint {
  const region = "eu-central-1";
  return {
    context: "staging",
    ...eks("staging", region, "210987654321"),
    version: "v1.31.0-eks-a737599",
    region,
    nodes: eksNodes("10.40", region, 2, 2, 8),
    crashingImages: [`${REGISTRY}/payments/api:2.8.0-rc.1`],
    history: [
      { daysAgo: 60, manifests: [...system(region), ...shop(2, 1), ...payments(1)] },
      ...releases({ frontend: "1.14.2", payments: ["2.7.1", "2.8.0-rc.1"] }, { frontend: 2, api: 1 }),
      {
        // Paused mid-release: the new frontend image is set but the pods still run 1.14.2.
        daysAgo: 1,
        manifests: [
          deployment("shop", "frontend", {
            image: `${REGISTRY}/shop/frontend:1.15.0-rc.1`,
            replicas: 2,
            paused: true,
            port: 8080,
            env: { CHECKOUT_URL: "http://checkout.shop.svc.cluster.local:8080" },
            labels: { tier: "web" },
          }),
        ],
      },
    ],
  };
}

const OCM = "quay.io/open-cluster-management";

function managedCluster(name: string, url: string, region: string): Manifest {
  return {
    apiVersion: "cluster.open-cluster-management.io/v1",
    kind: "ManagedCluster",
    metadata: { name, labels: { name, cloud: "Amazon", vendor: "EKS", region } },
    spec: { hubAcceptsClient: true, managedClusterClientConfigs: [{ url }] },
    status: {
      conditions: [
        { type: "HubAcceptedManagedCluster", status: "True" },
        { type: "ManagedClusterJoined", status: "True" },
        { type: "ManagedClusterConditionAvailable", status: "True" },
      ],
    },
  };
}

function hub(members: ClusterBlueprint[]): ClusterBlueprint {
  const region = "eu-west-1";
  const server = "https://api.hub.ocm.example.internal:6443";
  return {
    context: "hub",
    clusterName: "hub",
    user: "hub-admin",
    server,
    version: "v1.30.4",
    region,
    nodes: [
      {
        name: "hub-control-plane",
        internalIP: "10.10.0.10",
        cpu: 4,
        memoryGi: 16,
        roles: ["control-plane"],
        taints: [CONTROL_PLANE_TAINT],
      },
      { name: "hub-worker-1", internalIP: "10.10.0.21", cpu: 4, memoryGi: 16 },
      { name: "hub-worker-2", internalIP: "10.10.0.22", cpu: 4, memoryGi: 16 },
    ],
    history: [
      {
        daysAgo: 200,
        manifests: [
          ...system(region),
          crd("cluster.open-cluster-management.io", "ManagedCluster", "managedclusters", "v1", "Cluster", [
            "mcl",
          ]),
          crd("work.open-cluster-management.io", "ManifestWork", "manifestworks", "v1", "Namespaced", ["mw"]),
          crd(
            "authentication.open-cluster-management.io",
            "ManagedServiceAccount",
            "managedserviceaccounts",
            "v1beta1",
            "Namespaced",
            ["msa"],
          ),
          ...[
            "open-cluster-management",
            "open-cluster-management-hub",
            "open-cluster-management-agent-addon",
          ].map((name) => namespace(name)),
          deployment("open-cluster-management", "cluster-manager", {
            image: `${OCM}/registration-operator:v0.14.0`,
          }),
          deployment("open-cluster-management-hub", "cluster-manager-registration-controller", {
            image: `${OCM}/registration:v0.14.0`,
          }),
          deployment("open-cluster-management-hub", "cluster-manager-work-webhook", {
            image: `${OCM}/work:v0.14.0`,
            replicas: 2,
          }),
          managedCluster("local-cluster", server, region),
          ...members.flatMap((member) => [
            namespace(member.context),
            managedCluster(member.context, member.server, member.region),
          ]),
          namespace("local-cluster"),
        ],
      },
    ],
  };
}

export function fleetBlueprints(): ClusterBlueprint[] {
  const members = [
    production("prod-eu", "eu-west-1", "10.20", 1),
    production("prod-us", "us-east-1", "10.30", 2),
    staging(),
  ];
  return [hub(members), ...members];
}
