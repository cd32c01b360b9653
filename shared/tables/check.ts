import { ISO_TIME, RECORD_ID, type FieldDecl, type JsonObject } from './field';
import { syncedTables, tableDecls, type SyncedTable } from './index';
import { fileRefsSchema } from '../files/refs';
import { derivedCheck } from '../protocol/validate';

/*
 * Fast value checks from the declarations, for every full state a node stores or pulls and every state the hub
 * accepts: a few comparisons per field, where zod would cost many times more at 100k records/s. The API has run
 * the contract's zod schemas (shared/tables/schemas.ts, from the same declarations) before these.
 */

/** Why a value does not fit a field, or null when it does. */
export function valueProblem(f: FieldDecl, value: unknown): string | null {
  if (value === null) return f.nullable ? null : 'must not be null';
  switch (f.kind) {
    case 'json':
      if (f.anyJson) return jsonTextProblem(value, f.maxChars);
      if (f.files) return fileRefsProblem(value);
      return typeof value === 'object' && !Array.isArray(value) ? null : 'must be a JSON object';
    case 'int':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? null : 'must be a non-negative integer';
    case 'text': {
      if (typeof value !== 'string') return 'must be a string';
      if (f.values) return f.values.includes(value) ? null : `must be one of ${f.values.join(', ')}`;
      if (f.format === 'id') return RECORD_ID.test(value) ? null : 'must be a record id (letters, digits, _ . : -)';
      if (f.format === 'iso') return ISO_TIME.test(value) ? null : 'must be an ISO-8601 date-time';
      if (f.required && value.trim().length === 0) return 'must not be empty';
      return f.maxLength !== undefined && value.length > f.maxLength ? `must be at most ${f.maxLength} characters` : null;
    }
  }
}

const fileRefsFit = derivedCheck(fileRefsSchema);

/** Why a value is not a list of file references (zod's message), or null when it is: the derived check first. */
function fileRefsProblem(value: unknown): string | null {
  if (fileRefsFit(value)) return null;
  const issue = fileRefsSchema.safeParse(value).error?.issues[0];
  return issue ? `${issue.path.length ? `[${issue.path.join('.')}] ` : ''}${issue.message}` : null;
}

function jsonTextProblem(value: unknown, maxChars: number | undefined): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return 'must be JSON';
  }
  if (text === undefined) return 'must be JSON';
  return maxChars !== undefined && text.length > maxChars ? `must be at most ${maxChars} characters as JSON` : null;
}

const fieldMaps = new Map<string, ReadonlyMap<string, FieldDecl>>(syncedTables.map((t) => [t, new Map(Object.entries(tableDecls[t].fields))]));
const requiredFields = new Map<string, string[]>(
  syncedTables.map((t) => [t, Object.entries(tableDecls[t].fields as Record<string, FieldDecl>).filter(([, f]) => f.required).map(([k]) => k)]),
);

/** The declared field of a table by name (undefined: not a field). */
export function fieldDecl(table: SyncedTable, field: string): FieldDecl | undefined {
  return fieldMaps.get(table)!.get(field);
}

/**
 * Why a full data object does not fit its table (an unknown key, a value that does not fit, a required field
 * missing), or null when it does. `field` names the key (quoted when it is not a field).
 */
export function dataProblem(table: SyncedTable, data: unknown): { field: string; problem: string } | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { field: 'data', problem: 'must be an object' };
  const fields = fieldMaps.get(table)!;
  const obj = data as JsonObject;
  for (const key in obj) {
    const f = fields.get(key);
    if (!f) return { field: JSON.stringify(key.slice(0, 64)), problem: 'is not a field' };
    const value = obj[key];
    if (value === undefined) continue;
    const problem = valueProblem(f, value);
    if (problem) return { field: key, problem };
  }
  for (const k of requiredFields.get(table)!) if (obj[k] === undefined || obj[k] === null) return { field: k, problem: 'is required' };
  return null;
}
