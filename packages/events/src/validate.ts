/**
 * The event schema checked in place. zod builds a copy of every object it checks: a third of what
 * ingest allocated per event, collected again on every batch (docs/PERFORMANCE.md, pipeline step
 * 12). ajv checks the value JSON.parse made and drops the keys the schema does not name, as zod's
 * copy leaves them out. It is compiled from the zod schema (`z.toJSONSchema`), so there is one
 * schema to change; validate.test.ts holds that whatever it accepts, zod accepts too, as the same
 * value. Whatever it refuses goes to zod, for the verdict and the words of the problem.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { z } from "zod";
import { TollgateEvent } from "./schema.js";

let compiled: ValidateFunction | undefined;

/** True when `value` is an event; it may have dropped keys the schema does not name either way. */
export function isEventInPlace(value: unknown): value is TollgateEvent {
  compiled ??= compile();
  return compiled(value);
}

/**
 * Compiles the check now rather than at the first event read. Compiling takes about 0.2 s of the
 * event loop; a reader that starts beside a server (ingest in `tollgate up`, beside the gateway)
 * does it before the server takes calls, so that no call waits on it.
 */
export function prepareEventChecks(): void {
  compiled ??= compile();
}

function compile(): ValidateFunction {
  const ajv = new Ajv({
    // The event's type picks its branch, so only that branch's keys are checked and dropped: with
    // every branch tried, a payload's keys would be dropped by the branches it is not.
    discriminator: true,
    removeAdditional: "all",
    // The ids' patterns are in the schema beside `format: uuid`; the patterns decide.
    validateFormats: false,
    // zod writes a string-or-number as `type: [string, number]`.
    allowUnionTypes: true,
  });
  const { $schema: _draft, ...schema } = z.toJSONSchema(TollgateEvent, { io: "input", target: "draft-7" });
  return ajv.compile({
    ...schema,
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
  });
}
