/**
 * For pipeline tests: a real gateway in front of the Kubernetes fixture, reached by the SDK's client
 * over HTTP as agent "claude" (grant "ops"), whose sink also remembers the id of every event it took.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { EventSink } from "@tollgate/events";
import { Gateway, type HttpGateway, serveHttp, sha256Hex } from "@tollgate/gateway";
import { compilePolicy } from "@tollgate/policy";
import { upstreamCommand } from "@tollgate/upstreams";

export interface RecordingGateway {
  gateway: Gateway;
  http: HttpGateway;
  client: Client;
  /** Ids of the events the sink accepted (acknowledged), in publish order. */
  written: Set<string>;
  close(): Promise<void>;
}

export async function startRecordingGateway(sink: EventSink, policyDoc: unknown): Promise<RecordingGateway> {
  const written = new Set<string>();
  const recording: EventSink = {
    async publish(event) {
      await sink.publish(event);
      written.add(event.id);
    },
    close: () => sink.close(),
  };
  const policy = compilePolicy(policyDoc);
  if (!policy.ok) throw new Error(`test policy: ${JSON.stringify(policy.problems)}`);
  const gateway = new Gateway({
    policy: policy.policy,
    upstreams: [{ id: "k8s", ...upstreamCommand("k8s") }],
    sink: recording,
    log: () => {},
  });
  const http = await serveHttp(gateway, {
    agents: [{ tokenSha256: sha256Hex("t"), agent: "claude", grant: "ops" }],
    admins: [],
  });
  const client = new Client({ name: "pipeline-test", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(http.url), {
      requestInit: { headers: { authorization: "Bearer t" } },
    }),
  );
  return {
    gateway,
    http,
    client,
    written,
    async close() {
      await client.close();
      await http.close();
      await gateway.close();
    },
  };
}
