/**
 * `kubectl exec`: a handful of commands agents actually run (ls, cat, env, whoami...) answer from
 * the pod's own data; anything else "runs" with no output. Nothing is ever executed for real.
 */
import { splitWords } from "../words.js";
import { ClusterError } from "./errors.js";
import { containerOf } from "./logs.js";
import type { ClusterState, ContainerSpec, Pod } from "./model.js";
import { iso } from "./quantity.js";

export interface ExecResult {
  output: string;
  exitCode: number;
}

interface Session {
  state: ClusterState;
  pod: Pod;
  container: ContainerSpec;
}

const SHELLS = new Set(["sh", "bash", "/bin/sh", "/bin/bash", "ash", "/bin/ash"]);

/** A command line (k8s_pod_exec) or an argv (kubectl exec ... -- argv). */
export function execInPod(
  state: ClusterState,
  pod: Pod,
  containerName: string | undefined,
  command: string | string[],
): ExecResult {
  const container = containerOf(pod, containerName);
  const status = pod.statuses.find((candidate) => candidate.name === container.name);
  if (pod.phase !== "Running" || status?.waitingReason) {
    throw new ClusterError(
      "Invalid",
      `unable to upgrade connection: container not found ("${container.name}"): container is ${status?.waitingReason ?? pod.phase}`,
    );
  }
  const session = { state, pod, container };
  return typeof command === "string" ? runLine(session, command) : runCommand(session, command);
}

/** `a && b; c` runs each part in turn, stopping after a failed `&&` step, as a shell would. */
function runLine(session: Session, line: string): ExecResult {
  const outputs: string[] = [];
  let exitCode = 0;
  for (const part of line.split(/(&&|;)/)) {
    if (part === ";" || part === "&&" || part.trim() === "") continue;
    const result = runCommand(session, splitWords(part));
    if (result.output) outputs.push(result.output);
    exitCode = result.exitCode;
    if (exitCode !== 0 && line.includes("&&")) break;
  }
  return { output: outputs.join("\n"), exitCode };
}

function runCommand(session: Session, argv: string[]): ExecResult {
  const [program = "", ...args] = argv;
  if (SHELLS.has(program) && args[0] === "-c" && args[1] !== undefined) return runLine(session, args[1]);
  const name = program.slice(program.lastIndexOf("/") + 1);
  const handler = COMMANDS[name];
  if (handler) return handler(session, args);
  return { output: `${argv.join(" ")}: command executed (exit code 0, no output)`, exitCode: 0 };
}

const ok = (output: string): ExecResult => ({ output, exitCode: 0 });

function userOf(container: ContainerSpec): { name: string; uid: number } {
  if (/postgres/.test(container.image)) return { name: "postgres", uid: 999 };
  if (/redis/.test(container.image)) return { name: "redis", uid: 999 };
  if (/registry\.example\.com/.test(container.image)) return { name: "app", uid: 10001 };
  return { name: "root", uid: 0 };
}

function environment({ pod, container }: Session): Record<string, string> {
  return {
    PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOSTNAME: pod.name,
    HOME: userOf(container).uid === 0 ? "/root" : `/home/${userOf(container).name}`,
    KUBERNETES_SERVICE_HOST: "172.20.0.1",
    KUBERNETES_SERVICE_PORT: "443",
    POD_NAMESPACE: pod.namespace,
    ...container.env,
  };
}

const FILES: Record<string, (session: Session) => string> = {
  "/etc/hostname": ({ pod }) => pod.name,
  "/etc/hosts": ({ pod }) => `127.0.0.1\tlocalhost\n${pod.ip}\t${pod.name}`,
  "/etc/resolv.conf": ({ pod }) =>
    `search ${pod.namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver 172.20.0.10\noptions ndots:5`,
  "/etc/os-release": () =>
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian',
  "/var/run/secrets/kubernetes.io/serviceaccount/namespace": ({ pod }) => pod.namespace,
};

const DIRECTORIES: Record<string, string[]> = {
  "/": ["app", "bin", "dev", "etc", "home", "lib", "proc", "root", "run", "sys", "tmp", "usr", "var"],
  "/app": ["config", "server", "static", "VERSION"],
  "/etc": ["hostname", "hosts", "os-release", "passwd", "resolv.conf", "ssl"],
  "/tmp": [],
  "/var/run/secrets/kubernetes.io/serviceaccount": ["ca.crt", "namespace", "token"],
};

function readFile(session: Session, path: string): ExecResult {
  const file = FILES[path];
  if (file) return ok(file(session));
  if (path === "/app/VERSION") return ok(session.container.image.split(":").at(-1) ?? "latest");
  if (path.endsWith("/token"))
    return ok("eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbXVsYXRlZCJ9.eyJzdWIiOiJzaW11bGF0ZWQifQ.c2lnbmF0dXJl");
  return { output: `cat: ${path}: No such file or directory`, exitCode: 1 };
}

function listDirectory(path: string, long: boolean): ExecResult {
  const entries = DIRECTORIES[path.replace(/\/$/, "") || "/"];
  if (!entries) return { output: `ls: cannot access '${path}': No such file or directory`, exitCode: 2 };
  if (!long) return ok(entries.join("\n"));
  const lines = entries.map(
    (entry) => `${entry.includes(".") ? "-rw-r--r--" : "drwxr-xr-x"} 1 root root 4096 ${entry}`,
  );
  return ok([`total ${entries.length * 4}`, ...lines].join("\n"));
}

const COMMANDS: Record<string, (session: Session, args: string[]) => ExecResult> = {
  ls: (_session, args) => {
    const long = args.some((arg) => arg.startsWith("-") && arg.includes("l"));
    return listDirectory(args.find((arg) => !arg.startsWith("-")) ?? "/app", long);
  },
  cat: (session, args) => {
    const results = args.map((path) => readFile(session, path));
    return {
      output: results.map((result) => result.output).join("\n"),
      exitCode: Math.max(0, ...results.map((r) => r.exitCode)),
    };
  },
  env: (session) =>
    ok(
      Object.entries(environment(session))
        .map(([key, value]) => `${key}=${value}`)
        .join("\n"),
    ),
  printenv: (session, args) => {
    const env = environment(session);
    if (args.length === 0) return COMMANDS.env?.(session, []) ?? ok("");
    const values = args.map((key) => env[key]).filter((value) => value !== undefined);
    return { output: values.join("\n"), exitCode: values.length === args.length ? 0 : 1 };
  },
  whoami: ({ container }) => ok(userOf(container).name),
  id: ({ container }) => {
    const user = userOf(container);
    return ok(`uid=${user.uid}(${user.name}) gid=${user.uid}(${user.name}) groups=${user.uid}(${user.name})`);
  },
  hostname: ({ pod }) => ok(pod.name),
  pwd: () => ok("/app"),
  echo: (_session, args) => ok(args.join(" ")),
  date: ({ state }) => ok(new Date(state.clock()).toUTCString()),
  uname: ({ pod }, args) =>
    ok(args.includes("-a") ? `Linux ${pod.name} 6.1.97 #1 SMP x86_64 GNU/Linux` : "Linux"),
  ps: ({ container }) =>
    ok(
      `PID   USER     TIME  COMMAND\n    1 ${userOf(container).name.padEnd(8)} 0:42 ${container.image.split("/").at(-1)?.split(":")[0] ?? "app"}`,
    ),
  nslookup: ({ pod }, args) =>
    ok(
      `Server:\t\t172.20.0.10\nAddress:\t172.20.0.10#53\n\nName:\t${args[0] ?? pod.name}.${pod.namespace}.svc.cluster.local`,
    ),
  uptime: ({ state, pod }) =>
    ok(
      ` ${iso(state.clock()).slice(11, 19)} up ${Math.max(1, Math.floor((state.clock() - pod.createdAt) / 86_400_000))} days`,
    ),
};
