/**
 * `tollgate gateway`: runs the interceptor. Over stdio (the default: put it in a client's
 * `mcpServers` entry in front of a stdio server) or over HTTP with `--listen`.
 */
import { BufferedKafkaSink, JsonlSink, KafkaSink, SpoolSink } from "@tollgate/bus";
import type { EventSink } from "@tollgate/events";
import {
  adminsOf,
  agentsOf,
  ConfigError,
  Gateway,
  type GatewayConfig,
  readGatewayConfig,
  serveHttp,
  serveStdio,
  sha256Hex,
  type UpstreamSpec,
  upstreamsOf,
} from "@tollgate/gateway";
import { formatProblems, loadPolicyFile, PolicyError } from "@tollgate/policy";
import { ExitCode, UsageError } from "../exit-codes.js";
import type { Output } from "../output.js";
import { connectKafka } from "./kafka.js";
import { parseListenAddress } from "./listen.js";
import { untilSignalled } from "./signals.js";

export interface GatewayCommandOptions {
  config?: string;
  policy?: string;
  listen?: string;
  control?: string;
  events?: string;
  spool?: string;
  kafka?: string;
  kafkaTopic: string;
  agent?: string;
  grant?: string;
  serverId: string;
  onFull?: "fail_closed" | "fail_open";
  agentTokenEnv?: string;
  adminTokenEnv?: string;
}

export async function gatewayCommand(
  command: string[],
  options: GatewayCommandOptions,
  output: Output,
): Promise<number> {
  let config: GatewayConfig;
  try {
    config = options.config === undefined ? {} : await readGatewayConfig(options.config);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const policyFile = options.policy ?? config.policy;
  if (policyFile === undefined)
    throw new UsageError("no policy: pass --policy FILE or set `policy` in the config");
  let policy: Awaited<ReturnType<typeof loadPolicyFile>>;
  try {
    policy = await loadPolicyFile(policyFile);
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    output.err(
      `tollgate: the gateway does not start on an invalid policy\n${formatProblems(error.problems)}`,
    );
    return ExitCode.invalidInput;
  }
  const upstreams = upstreamsFrom(config, command, options.serverId);
  const events = await openEventSink(options, config);
  const gateway = new Gateway({
    policy,
    policyFile,
    upstreams,
    sink: events.sink,
    ...(config.instance === undefined ? {} : { instance: config.instance }),
    ...(config.redaction === undefined ? {} : { redaction: config.redaction }),
    eventBuffer: config.events?.buffer ?? 10_000,
    onEventBufferFull: options.onFull ?? config.events?.on_full ?? "fail_closed",
    approvalProgressMs: config.approvals?.progress_interval_ms ?? 5_000,
    log: (message) => output.err(message),
  });
  process.on("SIGHUP", () => void gateway.reloadPolicy());
  const summary = `policy ${policy.name} (${policy.digest.slice(0, 19)}…), events → ${events.where}`;
  const listen = options.listen ?? config.listen;
  try {
    if (listen !== undefined) return await runHttp(gateway, config, options, listen, summary, output);
    return await runStdio(gateway, config, options, summary, output);
  } catch (error) {
    // A bad address or a missing token variable: the watcher and sink must not keep the process alive.
    await gateway.close();
    throw error;
  }
}

/** The spool when one is named (the embedded default's bus, read by `tollgate ingest`), else a JSON-lines file. */
async function openEventSink(
  options: GatewayCommandOptions,
  config: GatewayConfig,
): Promise<{ sink: EventSink; where: string }> {
  const spool = options.spool ?? config.events?.spool;
  if (options.kafka !== undefined) {
    const { kafka, topics } = await connectKafka({
      brokers: options.kafka,
      topic: options.kafkaTopic,
      clientId: "tollgate-gateway",
    });
    const buffer = spool ?? ".tollgate/kafka-buffer";
    const sink = await BufferedKafkaSink.open({
      kafka: new KafkaSink({ kafka, topic: topics.events.name }),
      spool: buffer,
      log: (message) => process.stderr.write(`${message}\n`),
    });
    return { sink, where: `Kafka ${options.kafka} topic ${topics.events.name} (buffer: spool ${buffer})` };
  }
  if (spool !== undefined) return { sink: await SpoolSink.open(spool), where: `spool ${spool}` };
  const file = options.events ?? config.events?.file ?? ".tollgate/events.jsonl";
  return { sink: new JsonlSink(file), where: file };
}

function upstreamsFrom(config: GatewayConfig, command: string[], serverId: string): UpstreamSpec[] {
  const upstreams = (() => {
    try {
      return upstreamsOf(config);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  })();
  if (command.length > 0)
    upstreams.push({ id: serverId, command: command[0] as string, args: command.slice(1) });
  if (upstreams.length === 0)
    throw new UsageError("no upstream: give its command after `--`, or list `upstreams` in the config");
  return upstreams;
}

function credentials(config: GatewayConfig, options: GatewayCommandOptions) {
  try {
    const agents = agentsOf(config);
    const admins = adminsOf(config);
    if (options.agentTokenEnv !== undefined) {
      agents.push({
        agent: options.agent ?? "agent",
        grant: options.grant ?? "default",
        tokenSha256: tokenDigest(options.agentTokenEnv),
      });
    }
    if (options.adminTokenEnv !== undefined)
      admins.push({ name: "admin", tokenSha256: tokenDigest(options.adminTokenEnv) });
    return { agents, admins };
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function tokenDigest(variable: string): string {
  const token = process.env[variable];
  if (token === undefined || token === "")
    throw new UsageError(`environment variable ${variable} is not set`);
  return sha256Hex(token);
}

async function runHttp(
  gateway: Gateway,
  config: GatewayConfig,
  options: GatewayCommandOptions,
  listen: string,
  summary: string,
  output: Output,
): Promise<number> {
  const { agents, admins } = credentials(config, options);
  if (agents.length === 0) {
    throw new UsageError(
      "no agent can authenticate: list `agents` in the config or pass --agent-token-env VAR",
    );
  }
  const http = await serveHttp(gateway, { ...parseListenAddress(listen), agents, admins });
  output.err(`tollgate gateway: MCP over HTTP at ${http.url} (${agents.length} agents), ${summary}`);
  await untilSignalled();
  await http.close();
  await gateway.close();
  return ExitCode.ok;
}

async function runStdio(
  gateway: Gateway,
  config: GatewayConfig,
  options: GatewayCommandOptions,
  summary: string,
  output: Output,
): Promise<number> {
  const identity = {
    agent: options.agent ?? process.env.TOLLGATE_AGENT ?? "local",
    grant: options.grant ?? process.env.TOLLGATE_GRANT ?? "default",
  };
  const control =
    options.control === undefined ? undefined : await serveControl(gateway, config, options, options.control);
  output.err(
    `tollgate gateway: MCP over stdio as agent ${identity.agent} (grant ${identity.grant}), ${summary}`,
  );
  if (control !== undefined)
    output.err(`tollgate gateway: approvals at ${control.url.replace(/\/mcp$/, "/approvals")}`);
  await serveStdio(gateway, identity);
  await control?.close();
  await gateway.close();
  return ExitCode.ok;
}

/** A stdio gateway's approvals API: the HTTP shell with no agents, so /mcp refuses everyone. */
function serveControl(
  gateway: Gateway,
  config: GatewayConfig,
  options: GatewayCommandOptions,
  listen: string,
) {
  const { admins } = credentials(config, options);
  if (admins.length === 0)
    throw new UsageError(
      "--control needs an admin: list `admins` in the config or pass --admin-token-env VAR",
    );
  return serveHttp(gateway, { ...parseListenAddress(listen), agents: [], admins });
}
