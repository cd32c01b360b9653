import { OutpostError } from '../errors';
import { smartMerge, type ConflictInput } from './engine';
import { jsonTypeOf, setOwn, type JsonRecord, type JsonType } from './json';

/** A person's choice for one top-level field: a side, the base, or an edited value. */
export type FieldChoice = 'local' | 'remote' | 'base' | { value: unknown };
export type RecordChoice = 'local' | 'remote' | { fields?: Record<string, FieldChoice> | undefined; text?: string | undefined };

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** The JSON types a field has on any side; an edited value must keep one of them (all-null fields take anything). */
export function allowedTypes(input: ConflictInput, field: string): Set<JsonType> {
  const types = new Set<JsonType>();
  for (const data of [input.base, input.local.data, input.remote.data]) {
    if (data && Object.hasOwn(data, field)) {
      const t = jsonTypeOf(data[field]);
      if (t) types.add(t);
    }
  }
  return types;
}

/** Checks an edited value against the field's type; throws invalid_input with a message a person can act on. */
export function checkEditedValue(input: ConflictInput, field: string, value: unknown): void {
  const allowed = allowedTypes(input, field);
  const type = jsonTypeOf(value);
  if (type === undefined) throw new OutpostError('invalid_input', `The edited value of ${field} is not JSON.`);
  const onlyNull = allowed.size === 0 || (allowed.size === 1 && allowed.has('null'));
  if (onlyNull || allowed.has(type) || (type === 'null' && allowed.has('null'))) return;
  const want = [...allowed].filter((t) => t !== 'null').map(article).join(' or ');
  throw new OutpostError('invalid_input', `${field} must be ${want}${allowed.has('null') ? ' or null' : ''}, not ${article(type)}.`);
}

/**
 * The record a person's choice writes (null = the record is deleted). Per-field choices start from the smart
 * merge (or from the surviving side of a delete-update), so fields the person did not touch keep every edit that
 * does not overlap. Used by conflicts.resolve and by the review window's live preview, so both agree.
 */
export function applyRecordChoice(input: ConflictInput, choice: RecordChoice): JsonRecord | null {
  if (choice === 'local') return input.local.data;
  if (choice === 'remote') return input.remote.data;
  if (choice.text !== undefined) throw new OutpostError('invalid_input', 'A record conflict is resolved with field choices, not text.');
  const { local, remote, base } = { local: input.local.data, remote: input.remote.data, base: input.base };
  const start: JsonRecord = local && remote ? smartMerge(input).data : { ...((local ?? remote) as JsonRecord) };
  const out: JsonRecord = { ...start };
  for (const [field, fieldChoice] of Object.entries(choice.fields ?? {})) {
    const known = [base, local, remote].some((d) => d !== null && Object.hasOwn(d, field));
    if (!known) throw new OutpostError('invalid_input', `${JSON.stringify(field)} is not a field of this record.`);
    let value: unknown;
    if (typeof fieldChoice === 'object') {
      checkEditedValue(input, field, fieldChoice.value);
      value = fieldChoice.value;
    } else {
      const source = fieldChoice === 'base' ? base : fieldChoice === 'local' ? local : remote;
      if (source === null) {
        throw new OutpostError(
          'invalid_input',
          fieldChoice === 'base'
            ? `There is no base version (both sides created the record): pick local, remote or a value for ${field}.`
            : `The ${fieldChoice} side deleted the record: choose '${fieldChoice}' for the whole record to delete it.`,
        );
      }
      value = Object.hasOwn(source, field) ? source[field] : undefined;
    }
    if (value === undefined) delete out[field];
    else setOwn(out, field, value);
  }
  return out;
}
