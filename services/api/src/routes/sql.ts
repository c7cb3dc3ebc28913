/** The read-only SQL console. */
import type { FastifyInstance } from "fastify";
import type { ApiOptions } from "../options.js";
import { errors, SQL_BODY, SQL_REPLY } from "../schemas.js";
import { SqlConsole } from "../sql/console.js";

export async function sqlRoutes(api: FastifyInstance, options: ApiOptions): Promise<void> {
  const sqlConsole = new SqlConsole(options.store);
  api.post<{ Body: { sql: string; limit: number } }>(
    "/sql",
    {
      schema: {
        summary: "Run one read-only statement (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN)",
        description:
          "Parsed by ClickHouse before it runs: table functions, INTO OUTFILE, FORMAT and SETTINGS are refused; rows and time are capped.",
        tags: ["sql"],
        body: SQL_BODY,
        response: { 200: SQL_REPLY, ...errors(400, 401, 403) },
      },
    },
    async (request) => sqlConsole.run(request.body.sql, { limit: request.body.limit }),
  );
}
