import { z } from 'zod';
import { syncedTables } from '../domain/records';
import { HLC, NODE_ID } from './hlc';

/*
 * Hand shape checks for the sync hot paths (hub request bodies, hub answers on the node, the worker <-> main
 * protocol): zod walks and copies every object (about 6-14 µs a change), these checks well under 1. Each check
 * accepts only what its zod schema accepts (wire.test.ts and protocol.test.ts compare them on valid and mutated
 * values); `withFastPath` hands anything a check does not accept to zod, whose verdict and message stand.
 * Record data values are not walked: use these only on values from JSON.parse or structured clone (JSON after a
 * safety scan, or data the store validates field by field).
 */
export const UUID = z.regexes.uuid();
export const RECORD_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
export { HLC, NODE_ID } from './hlc';
export const TABLES: ReadonlySet<unknown> = new Set(syncedTables);

export const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null);
export const isCount = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
export const isStr = (v: unknown, re: RegExp): boolean => typeof v === 'string' && re.test(v);
export const isPriority = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 10;

/** Only the listed keys, each present key listed (undefined values are what an optional field accepts). */
export function onlyKeys(o: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  for (const key in o) if (!allowed.has(key)) return false;
  return Object.getOwnPropertySymbols(o).length === 0;
}

export function isVv(v: unknown): boolean {
  if (!isPlain(v)) return false;
  let n = 0;
  for (const key in v) if (!NODE_ID.test(key) || !isCount(v[key]) || ++n > 10_000) return false;
  return Object.getOwnPropertySymbols(v).length === 0;
}

/** Record data: field names of at most 256 characters; values are not walked (see the header). */
export function isData(v: unknown): boolean {
  if (!isPlain(v)) return false;
  for (const key in v) if (key.length > 256 || key === '__proto__') return false; // zod drops __proto__: let it decide
  return Object.getOwnPropertySymbols(v).length === 0;
}

const PATCH_KEYS: ReadonlySet<string> = new Set(['set', 'unset']);
export function isPatch(v: unknown): boolean {
  if (!isPlain(v) || !onlyKeys(v, PATCH_KEYS) || !isData(v.set) || !Array.isArray(v.unset) || v.unset.length > 1000) return false;
  for (const key of v.unset as unknown[]) if (typeof key !== 'string' || key.length > 256) return false;
  return true;
}

const PULLED_CHANGE_KEYS: ReadonlySet<string> = new Set(['changeId', 'table', 'recordId', 'hlc', 'vv', 'nodeId', 'seq', 'op', 'baseVv', 'data', 'patch']);
/** A change as a pull hands it out (and as the worker relays it to main). */
export function isPulledChange(c: unknown): boolean {
  return (
    isPlain(c) &&
    onlyKeys(c, PULLED_CHANGE_KEYS) &&
    isStr(c.changeId, UUID) &&
    TABLES.has(c.table) &&
    isStr(c.recordId, RECORD_ID) &&
    isStr(c.hlc, HLC) &&
    isVv(c.vv) &&
    isStr(c.nodeId, NODE_ID) &&
    isCount(c.seq) &&
    (c.op === 'upsert' || c.op === 'delete') &&
    (c.baseVv === null || isVv(c.baseVv)) &&
    (c.data === undefined || isData(c.data)) &&
    (c.patch === undefined || isPatch(c.patch))
  );
}

export function isArrayOf(v: unknown, min: number, max: number, fits: (item: unknown) => boolean): boolean {
  return Array.isArray(v) && v.length >= min && v.length <= max && v.every(fits);
}

/** `schema`, except that a value `fits` accepts passes as it is (not copied); anything else is zod's to judge. */
export function withFastPath<T>(schema: z.ZodType<T>, fits: (v: unknown) => boolean): z.ZodType<T> {
  return z.custom<T>().transform((value, ctx): T => {
    if (fits(value)) return value as T;
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path, input: value });
    return z.NEVER;
  });
}
