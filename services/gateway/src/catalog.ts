/**
 * The tools (and resources, prompts) a session's upstreams offer, and which upstream serves each.
 * With one upstream, names pass through unchanged. With several, a tool name offered by more than one
 * is qualified as `server__tool` so the agent can tell them apart; the policy still sees the server id
 * and the upstream's own tool name (`server:tool` in rules).
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { CompiledPolicy } from "@tollgate/policy";
import type { UpstreamLink } from "./upstream.js";

export interface ToolRoute {
  link: UpstreamLink;
  /** The tool's name at the upstream. */
  tool: string;
}

export const QUALIFIER = "__";

export class Catalog {
  private readonly tools = new Map<string, ToolRoute>();
  private readonly resources = new Map<string, UpstreamLink>();
  private readonly prompts = new Map<string, UpstreamLink>();

  /** Replaces the tool routes from fresh listings; returns the tools to show the agent. */
  setTools(listings: { link: UpstreamLink; tools: Tool[] }[], policy: CompiledPolicy): Tool[] {
    const owners = new Map<string, number>();
    for (const { tools } of listings)
      for (const tool of tools) owners.set(tool.name, (owners.get(tool.name) ?? 0) + 1);
    this.tools.clear();
    const visible: Tool[] = [];
    for (const { link, tools } of listings) {
      for (const tool of tools) {
        const exposed =
          (owners.get(tool.name) ?? 0) > 1 ? `${link.spec.id}${QUALIFIER}${tool.name}` : tool.name;
        this.tools.set(exposed, { link, tool: tool.name });
        if (!policy.isHidden(link.spec.id, tool.name))
          visible.push(exposed === tool.name ? tool : { ...tool, name: exposed });
      }
    }
    return visible;
  }

  tool(name: string): ToolRoute | undefined {
    return this.tools.get(name);
  }

  get knowsTools(): boolean {
    return this.tools.size > 0;
  }

  addResources(link: UpstreamLink, uris: string[]): void {
    for (const uri of uris) this.resources.set(uri, link);
  }

  resource(uri: string): UpstreamLink | undefined {
    return this.resources.get(uri);
  }

  addPrompts(link: UpstreamLink, names: string[]): void {
    for (const name of names) this.prompts.set(name, link);
  }

  prompt(name: string): UpstreamLink | undefined {
    return this.prompts.get(name);
  }
}
