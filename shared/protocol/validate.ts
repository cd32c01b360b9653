import { z } from 'zod';
import Ajv, { _, type KeywordCxt, type ValidateFunction } from 'ajv';
import { jsonSchemaFor, recordRule, type DeriveOptions, type JsonSchema } from './derive-schema';

export { jsonValueSchema, type DeriveOptions } from './derive-schema';

/*
 * Validators derived from the one zod declaration of a message: the JSON Schema zod emits (derive-schema.ts),
 * compiled by ajv. On values from its source (DeriveOptions) a derived check never accepts what zod refuses, and
 * what it accepts zod would hand back unchanged, so a value it accepts can skip zod, which walks and copies every
 * object (6-14 µs a change; the derived check well under one). Where the two would differ the derivation errs on
 * refusing: such a value goes to zod, whose verdict and message stand (`withFastPath`).
 *
 * ajv compiles with `new Function`, which the renderer's CSP forbids: nothing compiles at import, only on a
 * validator's first call, and the renderer and preload bundles do not import this module (validate.test.ts).
 */

/**
 * `schema.refine(...)` with the rule stated once, as JSON Schema: zod runs it through the compiled fragment, and
 * the derived validator of any schema holding `schema` inlines it. zod consults a refinement only on values the
 * rest of the schema accepts, so the rule may assume them.
 */
export function refineAs<T extends z.ZodType>(schema: T, rule: JsonSchema, message: string): T {
  let check: ValidateFunction | undefined;
  const refined = schema.refine((value) => (check ??= ajv().compile(rule))(value) as boolean, { message }) as T;
  recordRule(refined, rule);
  return refined;
}

/** A boolean check derived from `schema`, compiled on its first call. */
export function derivedCheck(schema: z.ZodType, options: DeriveOptions = {}): (value: unknown) => boolean {
  let check: ValidateFunction | undefined;
  return (value) => (check ??= ajv().compile(jsonSchemaFor(schema, options)))(value) as boolean;
}

/**
 * `schema`, except that a value its derived check accepts passes as it is (not copied); anything else is zod's to
 * judge. For values from `source` only (see DeriveOptions).
 */
export function withFastPath<T>(schema: z.ZodType<T>, source: NonNullable<DeriveOptions['source']>): z.ZodType<T> {
  const fits = derivedCheck(schema, { source });
  return z.custom<T>().transform((value, ctx): T => {
    if (fits(value)) return value as T;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
    return z.NEVER;
  });
}

/** An array of at most `max` elements that crossed a process boundary (structured clone), checked as a whole by withFastPath. */
export const fastArray = <T>(item: z.ZodType<T>, max: number): z.ZodType<T[]> => withFastPath(z.array(item).max(max), 'clone');

let instance: Ajv | undefined;
/** One ajv, made on first use, set to zod's semantics, with the keywords derive-schema.ts emits. */
function ajv(): Ajv {
  if (instance) return instance;
  instance = new Ajv({
    strict: true,
    // a refineAs rule states only its own keywords (it is consulted on values its schema accepted)
    strictTypes: false,
    strictRequired: false,
    strictNumbers: true, // zod refuses NaN and Infinity
    unicodeRegExp: false, // zod's patterns run without the u flag
    validateFormats: false, // a format is checked by the pattern zod emits beside it (derive-schema.ts refuses others)
    discriminator: true,
  });
  instance.addKeyword({ keyword: 'plainObject', type: 'object', schemaType: 'string', before: 'propertyNames', code: plainObject });
  instance.addKeyword({ keyword: 'onlyKeys', type: 'object', schemaType: 'array', code: onlyKeys });
  instance.addKeyword({ keyword: 'nullOr', schemaType: 'object', code: nullOr });
  instance.addKeyword({ keyword: 'maxChars', type: 'string', schemaType: 'number', code: (cxt) => chars(cxt, 'max') });
  instance.addKeyword({ keyword: 'minChars', type: 'string', schemaType: 'number', code: (cxt) => chars(cxt, 'min') });
  return instance;
}

/**
 * 'object': a plain object (prototype Object.prototype; zod copies one with a null prototype into a plain one,
 * so such a value is zod's). 'record': also no own __proto__ key;
 * 'record+symbols': also no symbol key. Placed before propertyNames: ajv skips what follows it on an empty object.
 */
function plainObject(cxt: KeywordCxt): void {
  const notPlain = _`Object.getPrototypeOf(${cxt.data}) !== Object.prototype`;
  if (cxt.schema === 'object') return cxt.fail(notPlain);
  const protoKey = _`Object.prototype.hasOwnProperty.call(${cxt.data}, "__proto__")`;
  if (cxt.schema === 'record') return cxt.fail(_`${notPlain} || ${protoKey}`);
  cxt.fail(_`${notPlain} || ${protoKey} || Object.getOwnPropertySymbols(${cxt.data}).length !== 0`);
}

/** No enumerable key outside the list (additionalProperties: false, one Set lookup a key). */
function onlyKeys(cxt: KeywordCxt): void {
  const { gen } = cxt;
  const allowed = gen.scopeValue('obj', { ref: new Set(cxt.schema as string[]) });
  const ok = gen.let('ok', true);
  gen.forIn('key', cxt.data, (key) => gen.if(_`!${allowed}.has(${key})`, () => gen.assign(ok, false).break()));
  cxt.pass(ok);
}

/**
 * A string's length in code points, as zod measures it (a surrogate pair counts once, a lone surrogate as
 * itself); ajv's maxLength would count every string's code points, these count only a string whose UTF-16
 * length alone does not decide.
 */
function chars(cxt: KeywordCxt, bound: 'max' | 'min'): void {
  const { gen, data, schema } = cxt;
  const count = gen.scopeValue('func', { ref: codePoints });
  if (bound === 'max') cxt.fail(_`${data}.length > ${schema} && ${count}(${data}) > ${schema}`);
  else cxt.fail(_`${data}.length < ${schema} || (${data}.length < 2 * ${schema} && ${count}(${data}) < ${schema})`);
}
function codePoints(s: string): number {
  let count = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    if ((s.charCodeAt(i) & 0xfc00) === 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      count--;
      i++;
    }
  }
  return count;
}

/** null, or valid against the keyword's schema. */
function nullOr(cxt: KeywordCxt): void {
  const valid = cxt.gen.name('valid');
  cxt.gen.if(_`${cxt.data} !== null`, () => void cxt.subschema({ keyword: 'nullOr' }, valid));
  cxt.pass(_`${cxt.data} === null || ${valid}`);
}
