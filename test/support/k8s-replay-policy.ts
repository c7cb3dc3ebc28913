/**
 * The live policy the end-to-end replay tests record traffic under, and the pod exec call they
 * send: reads allowed, pod exec limited and argument-checked, deletes denied, the rest denied.
 */
export const EXEC_LIMIT = [{ counter: "exec", window: "minute", max: 5, scope: "grant" }];

export const LIVE_POLICY = {
  version: "1",
  name: "k8s-live",
  default: "deny",
  tools: {
    "k8s_get_*": {},
    k8s_pod_exec: {
      limits: EXEC_LIMIT,
      deny_if: [{ arg: "command", regex: "\\brm\\b", reason: "no rm in pods" }],
    },
    "k8s_delete_*": { action: "deny", reason: "agents never delete" },
  },
};

/** The live policy with the pod exec limit set to `max`, named `name`. */
export function withExecLimit(max: number, name: string) {
  return {
    ...LIVE_POLICY,
    name,
    tools: {
      ...LIVE_POLICY.tools,
      k8s_pod_exec: { ...LIVE_POLICY.tools.k8s_pod_exec, limits: [{ ...EXEC_LIMIT[0], max }] },
    },
  };
}

/** A `k8s_pod_exec` tool call running `command` in the shop's web pod. */
export const exec = (command: string) => ({
  name: "k8s_pod_exec",
  arguments: { context: "prod-eu", namespace: "shop", pod_name: "web-1", command },
});
