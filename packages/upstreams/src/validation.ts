/**
 * Checks call arguments against each tool's own inputSchema, as the real (pydantic-backed) servers
 * do, and fills in the schema's defaults so handlers see what the real server would.
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { Ajv, type ValidateFunction } from "ajv";

export type ToolArguments = Record<string, unknown>;

export type ArgumentCheck = { ok: true; args: ToolArguments } | { ok: false; message: string };

export class ArgumentValidator {
  readonly #validators = new Map<string, ValidateFunction>();
  // strict: false because the schemas carry pydantic's "title" and other annotations ajv does not know.
  readonly #ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true });

  constructor(tools: readonly Tool[]) {
    for (const tool of tools) this.#validators.set(tool.name, this.#ajv.compile(tool.inputSchema));
  }

  check(tool: string, args: ToolArguments | undefined): ArgumentCheck {
    const validate = this.#validators.get(tool);
    if (!validate) return { ok: false, message: `no schema for tool ${tool}` };
    // Defaults are written into the value being validated, so work on a copy of the caller's arguments.
    const copy = structuredClone(args ?? {});
    if (validate(copy)) return { ok: true, args: copy };
    const detail = this.#ajv.errorsText(validate.errors, { dataVar: "arguments", separator: "; " });
    return { ok: false, message: `Invalid arguments for tool ${tool}: ${detail}` };
  }
}
