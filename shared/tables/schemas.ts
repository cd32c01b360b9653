import { z } from 'zod';
import { paging } from '../api/define';
import { fileRefsSchema } from '../files/refs';
import { ISO_TIME, RECORD_ID, RECORD_ID_RULE, type FieldDecl } from './field';
import type { CreateInput, CreateParsed, ListQuery, PatchOf, TableDecl, UpdateInput } from './table';

/** Record ids: short, printable, no path or SQL metacharacters. Ids come from callers and from the hub. */
export const recordIdSchema = z.string().regex(RECORD_ID, RECORD_ID_RULE);

/** A JSON object: configs and definitions are free-form, bounded by the request size. */
export const jsonObjectSchema = z.record(z.string().max(256), z.json());
/** A JSON object as the API's input schemas accept it. */
export type JsonObjectInput = z.input<typeof jsonObjectSchema>;

const expectedVersion = z.number().int().min(1);

/** The API schema of one field's value (not-null: the value itself; `nullable` adds null). */
export function valueSchema(f: FieldDecl): z.ZodType {
  let s: z.ZodType;
  if (f.kind === 'json' && f.anyJson) {
    const max = f.maxChars ?? Infinity;
    return z.json().refine((v) => JSON.stringify(v).length <= max, `must be at most ${max} characters as JSON`);
  } else if (f.kind === 'json' && f.files) s = fileRefsSchema;
  else if (f.kind === 'json') s = jsonObjectSchema;
  else if (f.kind === 'int') s = z.number().int().min(0);
  else if (f.values) s = z.enum(f.values as [string, ...string[]]);
  else if (f.format === 'id') s = recordIdSchema;
  else if (f.format === 'iso') s = z.string().regex(ISO_TIME, 'must be an ISO-8601 date-time');
  else if (f.required && f.exact) s = z.string().max(f.maxLength ?? 100_000).refine((v) => v.trim() !== '', 'must not be blank');
  else if (f.required) s = z.string().trim().min(1).max(f.maxLength ?? 100_000);
  else s = z.string().max(f.maxLength ?? 100_000);
  return f.nullable ? s.nullable() : s;
}

function fieldsShape(decl: TableDecl, keys: readonly string[], make: (key: string, s: z.ZodType) => z.ZodType): Record<string, z.ZodType> {
  return Object.fromEntries(keys.map((k) => [k, make(k, valueSchema(decl.fields[k]!))]));
}

/** The API's input schemas of a table, derived from its declaration. */
export function tableSchemas<D extends TableDecl>(decl: D) {
  const defaults = decl.createDefaults as Record<string, unknown>;
  const create = z
    .object({
      id: recordIdSchema.optional(),
      ...fieldsShape(decl, decl.create, (k, s) => (Object.hasOwn(defaults, k) ? s.default(defaults[k]) : s)),
    })
    .strict() as unknown as z.ZodType<CreateParsed<D>, CreateInput<D>>;
  const update = z
    .object({ id: recordIdSchema, expectedVersion, patch: z.object(fieldsShape(decl, decl.patchable, (_k, s) => s.optional())).strict() })
    .strict() as unknown as z.ZodType<UpdateInput<PatchOf<D>>>;
  // a filter matches a value, never null
  const filters = Object.fromEntries(decl.list.filters.map((k) => [k, valueSchema({ ...decl.fields[k]!, nullable: false }).optional()]));
  const list = z
    .object({ ...filters, ...(decl.list.search ? { search: z.string().max(200).optional() } : {}), ...paging() })
    .strict() as unknown as z.ZodType<ListQuery<D> & { offset: number; limit: number }, ListQuery<D>>;
  const get = z.object({ id: recordIdSchema }).strict();
  const remove = z.object({ id: recordIdSchema, expectedVersion: expectedVersion.optional() }).strict();
  return { create, update, list, get, delete: remove };
}
