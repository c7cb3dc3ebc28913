/**
 * `--live`: a few real calls through a running gateway with an agent's token, so the newest session
 * in the UI is one that really went through tollgate (decided on the wall clock, forwarded upstream).
 * Nothing here is held for approval: the command must not wait on a person.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

export interface LiveCallResult {
  tool: string;
  outcome: "ok" | "refused" | "tool_error";
  /** The answer's size, or the gateway's refusal sentence / the tool's error. */
  text: string;
}

const LIVE_CALLS: readonly { tool: string; args: Record<string, unknown> }[] = [
  { tool: "k8s_get_namespaces", args: { context: "prod-eu" } },
  { tool: "k8s_get_resources", args: { context: "prod-eu", kind: "pod", namespace: "payments" } },
  {
    tool: "k8s_pod_exec",
    args: {
      context: "prod-eu",
      namespace: "payments",
      pod_name: "payments-api-xr2bgm29s8-hbqwg",
      command: "cat /etc/hostname",
    },
  },
  { tool: "k8s_get_events", args: { context: "staging", namespace: "shop", limit: 10 } },
  {
    tool: "k8s_delete_resource",
    args: { context: "staging", resource_type: "pod", name: "frontend-4hldps67q4-lqwxs", namespace: "shop" },
  },
];

export async function sendLiveCalls(url: string, token: string): Promise<LiveCallResult[]> {
  const client = new Client({ name: "tollgate-demo-traffic", version: "1" });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  try {
    const results: LiveCallResult[] = [];
    for (const { tool, args } of LIVE_CALLS) {
      const result = await client.callTool({ name: tool, arguments: args });
      const text = firstText(result.content);
      const refused = result.isError === true && text.startsWith("tollgate ");
      const outcome = refused ? "refused" : result.isError ? "tool_error" : "ok";
      // An answer is a page of JSON: its size says enough; a refusal or an error is worth reading.
      results.push({ tool, outcome, text: outcome === "ok" ? `${text.length} characters` : firstLine(text) });
    }
    return results;
  } finally {
    await client.close();
  }
}

function firstText(content: unknown): string {
  if (!Array.isArray(content)) return "";
  const item = content.find(
    (entry): entry is { type: "text"; text: string } =>
      typeof entry === "object" && entry !== null && entry.type === "text" && typeof entry.text === "string",
  );
  return item?.text ?? "";
}

function firstLine(text: string): string {
  return (text.split("\n")[0] ?? "").slice(0, 200);
}
