import { z } from 'zod';

/*
 * The JSON Schema a derived validator compiles (shared/protocol/validate.ts): what zod emits for the one
 * declaration, tightened where JSON Schema would accept more than zod does, and refused where it cannot say what
 * zod checks (a refinement without a JSON Schema form, a transform, a default, a regex flag, a format that is not
 * a pattern): such a schema fails to compile instead of losing a rule.
 */

export type JsonSchema = Record<string, unknown>;

export interface DeriveOptions {
  /**
   * Where the checked values come from. 'clone': structured clone or JSON.parse, which cannot carry a symbol key,
   * so none is looked for. 'json': JSON.parse, whose values are JSON by construction, so record data
   * (jsonValueSchema) is not walked either. Absent: any value.
   */
  source?: 'clone' | 'json';
}

/**
 * Record data values in the hub protocol. Values from JSON.parse are JSON by construction, so a validator
 * derived for `source: 'json'` does not walk them (the walk cost more than the rest of a push's JS); elsewhere
 * they are checked as zod checks them.
 */
export const jsonValueSchema = z.json();

/** The JSON Schema forms of the refinements declared with `refineAs`, by zod check. */
const ruleOfCheck = new WeakMap<object, JsonSchema>();
/** Records `rule` as the JSON Schema form of the last refinement of `refined`. */
export function recordRule(refined: z.ZodType, rule: JsonSchema): void {
  const checks = refined._zod.def.checks ?? [];
  ruleOfCheck.set(checks[checks.length - 1]!, rule);
}

/** zod types whose JSON Schema says all that zod checks (given the fixes in `tighten`). */
const FAITHFUL_TYPES = new Set(['object', 'record', 'array', 'string', 'number', 'boolean', 'null', 'literal', 'enum', 'union', 'optional', 'nullable', 'unknown', 'any', 'lazy']);
/** zod checks whose JSON Schema keyword means the same (string lengths in code points, as both count them). */
const FAITHFUL_CHECKS = new Set(['less_than', 'greater_than', 'number_format', 'max_length', 'min_length', 'length_equals', 'multiple_of']);

interface ZodInternals {
  type: string;
  checks?: Array<{ _zod: { def: { check: string; format?: string; pattern?: RegExp } } }>;
  format?: string;
  pattern?: RegExp;
  catchall?: { _zod: { def: { type: string } } };
  discriminator?: string;
}

/** The JSON Schema of `schema` as the derived validator compiles it, or a thrown error naming what cannot be derived. */
export function jsonSchemaFor(schema: z.ZodType, options: DeriveOptions = {}): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    override: ({ zodSchema, jsonSchema, path }) => {
      if (options.source === 'json' && zodSchema === jsonValueSchema) {
        for (const key of Object.keys(jsonSchema)) delete (jsonSchema as JsonSchema)[key];
        return;
      }
      tighten(zodSchema._zod.def as unknown as ZodInternals, jsonSchema as JsonSchema, path.length ? `at ${path.join('/')}` : 'at the root', options);
    },
  }) as JsonSchema;
  delete json.$schema;
  simplify(json, (json.definitions as JsonSchema | undefined) ?? {});
  return json;
}

function tighten(def: ZodInternals, json: JsonSchema, where: string, options: DeriveOptions): void {
  const refuse = (what: string): never => {
    throw new Error(`no validator can be derived ${where}: ${what} has no JSON Schema form`);
  };
  if (!FAITHFUL_TYPES.has(def.type)) refuse(`a zod ${def.type}`);
  if (def.format !== undefined) exactPattern(def.format, def.pattern, refuse);
  const rules: JsonSchema[] = [];
  for (const check of def.checks ?? []) {
    const { check: kind, format, pattern } = check._zod.def;
    if (kind === 'custom') rules.push(ruleOfCheck.get(check) ?? refuse('a refinement (declare it with refineAs)'));
    else if (kind === 'string_format') exactPattern(format, pattern, refuse);
    else if (!FAITHFUL_CHECKS.has(kind)) refuse(`the check ${kind}`);
  }
  if (rules.length) {
    // a refined schema's JSON starts from its parent's (the schema before the last refinement): add each rule once
    const allOf = (json.allOf as JsonSchema[] | undefined) ?? [];
    const seen = new Set(allOf.map((r) => JSON.stringify(r)));
    json.allOf = [...allOf, ...rules.filter((r) => !seen.has(JSON.stringify(r)))];
  }
  // ajv then evaluates the one branch the tag names, not every branch (oneOf) with an error object per miss; it
  // applies the discriminator to objects only, so the type says that anything else is refused, as zod refuses it
  if (def.type === 'union' && def.discriminator !== undefined && Array.isArray(json.oneOf)) {
    json.type = 'object';
    json.discriminator = { propertyName: def.discriminator };
  }
  // Only on the object's own node (an optional() around it shares its JSON). zod refuses a record that is a Date
  // or a class instance (JSON Schema's "object" does not) or has a symbol key; it copies an object with a null
  // prototype, drops a record's or a loose object's own __proto__ key and a stripping object's extra keys:
  // all those values are zod's to judge.
  if (def.type === 'object' || def.type === 'record') {
    const open = def.type === 'record' || def.catchall?._zod.def.type === 'unknown'; // a record or a loose object
    if (open) json.plainObject = options.source ? 'record' : 'record+symbols';
    else {
      json.plainObject = 'object';
      json.additionalProperties = false;
    }
  }
}

function exactPattern(format: string | undefined, pattern: RegExp | undefined, refuse: (what: string) => never): void {
  if (!(pattern instanceof RegExp)) refuse(`the format ${format}`);
  else if (pattern.flags !== '') refuse(`the regex flags /${pattern.flags}`);
}

/**
 * Rewrites for speed that keep the verdict (ajv builds an error object for every value that misses a branch of
 * anyOf or if/else, and tests a strict object's keys one hasOwnProperty call at a time):
 * - `X.nullable()` (anyOf [X, null]) becomes `nullOr: X`;
 * - a strict object's `additionalProperties: false` becomes `onlyKeys: [its properties]`;
 * - a $ref to an always-true definition (trusted JSON) becomes `{}`, which ajv skips (no walk of record values);
 * - propertyNames loses `type: 'string'` (a key is a string);
 * - a string's minLength and maxLength become minChars and maxChars (validate.ts), the same count in code points
 *   that looks at the characters only when the UTF-16 length alone does not decide.
 */
function simplify(node: unknown, definitions: JsonSchema): void {
  if (typeof node !== 'object' || node === null) return;
  for (const child of Object.values(node)) simplify(child, definitions);
  const json = node as JsonSchema;
  for (const [key, value] of Object.entries(json)) {
    const ref = (value as JsonSchema | null)?.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/definitions/') && isEmpty(definitions[ref.slice('#/definitions/'.length)])) json[key] = {};
  }
  for (const [from, to] of [['maxLength', 'maxChars'], ['minLength', 'minChars']] as const) {
    if (typeof json[from] === 'number') {
      json[to] = json[from];
      delete json[from];
    }
  }
  const names = json.propertyNames as JsonSchema | undefined;
  if (names?.type === 'string') delete names.type;
  if (json.additionalProperties === false && json.patternProperties === undefined) {
    delete json.additionalProperties;
    json.onlyKeys = Object.keys((json.properties as JsonSchema | undefined) ?? {});
  }
  const branches = json.anyOf as JsonSchema[] | undefined;
  if (!Array.isArray(branches) || branches.length !== 2 || Object.keys(json).length !== 1) return;
  const [inner, nul] = branches as [JsonSchema, JsonSchema];
  if (nul.type !== 'null' || Object.keys(nul).length !== 1) return;
  delete json.anyOf;
  json.nullOr = inner;
}
const isEmpty = (v: unknown): boolean => typeof v === 'object' && v !== null && Object.keys(v).length === 0;
