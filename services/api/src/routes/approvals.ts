/** Approvals, passed to the gateway that holds the calls: reading needs a read token, deciding an admin one. */
import type { FastifyInstance } from "fastify";
import { gatewayClient } from "../gateway-control.js";
import type { ApiOptions } from "../options.js";
import { errors, idParams, PENDING_REPLY, VERDICT_BODY, VERDICT_REPLY } from "../schemas.js";

export async function approvalRoutes(api: FastifyInstance, options: ApiOptions): Promise<void> {
  const gateway = gatewayClient(options.gateway);

  api.get(
    "/approvals",
    {
      schema: {
        summary: "Calls held for a person's approval, now (from the gateway)",
        tags: ["approvals"],
        response: { 200: PENDING_REPLY, ...errors(401, 403, 502, 503) },
      },
    },
    async (request) => ({ approvals: await gateway.pending(request.bearer ?? "") }),
  );

  for (const verdict of ["approve", "deny"] as const) {
    api.post<{ Params: { id: string }; Body: { note?: string } | null }>(
      `/approvals/:id/${verdict}`,
      {
        config: { role: "admin" },
        schema: {
          summary: `${verdict === "approve" ? "Approve" : "Deny"} a held call (admin)`,
          tags: ["approvals"],
          params: idParams("approval id"),
          body: VERDICT_BODY,
          response: { 200: VERDICT_REPLY, ...errors(400, 401, 403, 404, 502, 503) },
        },
      },
      async (request) => {
        const verdictOf = await gateway.resolve(
          request.bearer ?? "",
          request.params.id,
          verdict,
          request.body?.note,
        );
        options.log?.(
          `tollgate api: approval ${request.params.id} ${verdictOf.resolution} by ${verdictOf.by}`,
        );
        return verdictOf;
      },
    );
  }
}
