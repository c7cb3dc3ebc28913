/**
 * Argument checks: `deny_if` conditions on `args.*` and a JSON Schema for the arguments.
 * Each compiles to a function that returns the reason a call's arguments are refused, or undefined.
 */
import { createRequire } from "node:module";
import type { Ajv, ValidateFunction } from "ajv";
import type { Ajv2019 } from "ajv/dist/2019.js";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type addFormatsModule from "ajv-formats";
import type { ConditionDoc, ConditionOperator } from "./schema.js";
import { CONDITION_OPERATORS } from "./schema.js";

export type ArgumentsObject = Record<string, unknown>;

export interface ArgumentCheck {
  /** Rule id of the check, e.g. `tools.kube_executor.deny_if[0]`. */
  id: string;
  /** The reason the call is refused, or undefined when the arguments pass. */
  refuse(args: ArgumentsObject): string | undefined;
}

export function compileCondition(id: string, condition: ConditionDoc): ArgumentCheck {
  const path = condition.arg.replace(/^args\./, "").split(".");
  const operator = CONDITION_OPERATORS.find((op) => condition[op] !== undefined) as ConditionOperator;
  const matches = conditionMatcher(operator, condition);
  const reason =
    condition.reason ?? `argument "${condition.arg}" ${describeCondition(operator, condition)} (${id})`;
  return {
    id,
    refuse(args) {
      return matches(valueAt(args, path)) ? reason : undefined;
    },
  };
}

type Matcher = (value: unknown) => boolean;

function conditionMatcher(operator: ConditionOperator, condition: ConditionDoc): Matcher {
  switch (operator) {
    case "equals":
      return (value) => value !== undefined && jsonEqual(value, condition.equals);
    case "not_equals":
      return (value) => value !== undefined && !jsonEqual(value, condition.not_equals);
    case "in":
      return (value) => value !== undefined && (condition.in ?? []).some((item) => jsonEqual(value, item));
    case "not_in":
      return (value) =>
        value !== undefined && !(condition.not_in ?? []).some((item) => jsonEqual(value, item));
    case "regex": {
      const regex = new RegExp(condition.regex ?? "", "u");
      return (value) => typeof value === "string" && regex.test(value);
    }
    case "contains":
      return containsMatcher(condition.contains);
    case "exists":
      return (value) => (value !== undefined) === condition.exists;
    case "gt":
      return numeric((n) => n > (condition.gt as number));
    case "gte":
      return numeric((n) => n >= (condition.gte as number));
    case "lt":
      return numeric((n) => n < (condition.lt as number));
    case "lte":
      return numeric((n) => n <= (condition.lte as number));
  }
}

/** `contains` is a substring test on strings and a membership test on lists. */
function containsMatcher(needle: string | number | boolean | undefined): Matcher {
  return (value) => {
    if (typeof value === "string") return typeof needle === "string" && value.includes(needle);
    if (Array.isArray(value)) return value.some((item) => jsonEqual(item, needle));
    return false;
  };
}

function numeric(test: (n: number) => boolean): Matcher {
  return (value) => typeof value === "number" && test(value);
}

function describeCondition(operator: ConditionOperator, condition: ConditionDoc): string {
  const operand = JSON.stringify(condition[operator]);
  switch (operator) {
    case "regex":
      return `matches /${condition.regex}/`;
    case "exists":
      return condition.exists ? "is present" : "is missing";
    case "in":
      return `is one of ${operand}`;
    case "not_in":
      return `is none of ${operand}`;
    default:
      return `${operator.replace("_", " ")} ${operand}`;
  }
}

function valueAt(args: ArgumentsObject, path: readonly string[]): unknown {
  let current: unknown = args;
  for (const segment of path) {
    if (current === null || typeof current !== "object") return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(bRecord).length) return false;
  return aKeys.every(
    (key) => Object.hasOwn(bRecord, key) && jsonEqual((a as Record<string, unknown>)[key], bRecord[key]),
  );
}

type SchemaValidator = Pick<Ajv, "compile" | "errorsText">;

/**
 * ajv takes about 60 ms to load, so it is loaded when the first `args_schema` is compiled, not on
 * import: gateways and replay workers whose policies have none never pay for it. It is CommonJS,
 * so `require` loads it as synchronously as compiling a policy is.
 */
const require = createRequire(import.meta.url);

/** The JSON Schema dialects argument schemas may be written in (`dialectOf`). */
type Dialect = "draft-07" | "2019-09" | "2020-12";

function newValidator(dialect: Dialect): SchemaValidator {
  const options = { allErrors: false, strict: false, validateSchema: true };
  const validator =
    dialect === "draft-07"
      ? new (require("ajv") as { Ajv: typeof Ajv }).Ajv(options)
      : dialect === "2019-09"
        ? new (require("ajv/dist/2019.js") as { Ajv2019: typeof Ajv2019 }).Ajv2019(options)
        : new (require("ajv/dist/2020.js") as { Ajv2020: typeof Ajv2020 }).Ajv2020(options);
  // CommonJS with `exports.default`: the module's `default` is the plugin.
  (require("ajv-formats") as typeof addFormatsModule).default(validator as Ajv);
  return validator;
}

/**
 * Which JSON Schema dialect a schema is in, by its `$schema`. Without one, 2020-12: the dialect MCP
 * takes as the default for tool schemas. Each dialect has its own validator, because keywords differ
 * (`items` as a list in draft-07 is `prefixItems` in 2020-12).
 */
function dialectOf(schema: object): Dialect {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared === undefined) return "2020-12";
  if (typeof declared === "string") {
    if (declared.includes("draft-07")) return "draft-07";
    if (declared.includes("2019-09")) return "2019-09";
    if (declared.includes("2020-12")) return "2020-12";
  }
  throw new Error(`$schema ${JSON.stringify(declared)} is not supported: use draft-07, 2019-09 or 2020-12`);
}

/** Validators are created on first use and shared by a compiled policy's schemas. */
export function createSchemaCompiler(): (id: string, schema: object, reason?: string) => ArgumentCheck {
  const validators = new Map<Dialect, SchemaValidator>();
  const validatorFor = (dialect: Dialect): SchemaValidator => {
    let validator = validators.get(dialect);
    if (validator === undefined) {
      validator = newValidator(dialect);
      validators.set(dialect, validator);
    }
    return validator;
  };
  return (id, schema, reason) => {
    const validator = validatorFor(dialectOf(schema));
    const validate: ValidateFunction = validator.compile(schema);
    return {
      id,
      refuse(args) {
        if (validate(args)) return undefined;
        const detail = validator.errorsText(validate.errors, { dataVar: "args" });
        return reason === undefined ? `arguments do not match ${id}: ${detail}` : `${reason}: ${detail}`;
      },
    };
  };
}
