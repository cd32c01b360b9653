import type { ConflictDetail, ConflictSummary } from '../../../../shared/domain/conflicts';
import type { ConflictChoice } from '../../../../shared/api/conflicts';
import { applyRecordChoice, checkEditedValue, type ConflictInput, type FieldChoice, type JsonRecord } from '../../../../shared/merge/index';

/**
 * The review window's state, kept pure so the preview shown to a person is computed by the same engine
 * (shared/merge) that conflicts.resolve runs on the node.
 */
export type Pick = 'local' | 'remote' | 'base' | 'edit';
export interface FieldState {
  pick: Pick;
  /** the raw text of an edited value (JSON) */
  edited: string;
}
export type Choices = Record<string, FieldState>;

export function toInput(detail: ConflictDetail): ConflictInput {
  const type = detail.type === 'delete-update' || detail.type === 'create-create' ? detail.type : 'update-update';
  return {
    table: detail.table,
    recordId: detail.recordId,
    type,
    base: asRecord(detail.base),
    local: { data: asRecord(detail.local), hlc: detail.localHlc ?? '' },
    remote: { data: asRecord(detail.remote), hlc: detail.remoteHlc ?? '' },
  };
}

const asRecord = (value: unknown): JsonRecord | null =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : null;

/** Every top-level field on any side: changed ones first (in the node's order), then the unchanged. */
export function fieldRows(detail: ConflictDetail): { field: string; changed: boolean; contested: boolean }[] {
  const changed = detail.changes.map((c) => ({ field: c.field, changed: true, contested: c.contested }));
  const seen = new Set(changed.map((c) => c.field));
  const rest: { field: string; changed: boolean; contested: boolean }[] = [];
  for (const side of [detail.local, detail.remote, detail.base]) {
    const record = asRecord(side);
    if (!record) continue;
    for (const field of Object.keys(record)) {
      if (seen.has(field)) continue;
      seen.add(field);
      rest.push({ field, changed: false, contested: false });
    }
  }
  return [...changed, ...rest];
}

export function valueOf(side: unknown, field: string): unknown {
  const record = asRecord(side);
  return record && Object.hasOwn(record, field) ? record[field] : undefined;
}

export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  return typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value, null, 2);
}

/** Turns the UI state into the API's per-field choices; an unparsable edit is reported, never sent. */
export function toFieldChoices(input: ConflictInput, choices: Choices): { fields: Record<string, FieldChoice>; errors: Record<string, string> } {
  const fields: Record<string, FieldChoice> = {};
  const errors: Record<string, string> = {};
  for (const [field, state] of Object.entries(choices)) {
    if (state.pick !== 'edit') {
      fields[field] = state.pick;
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(state.edited);
    } catch {
      errors[field] = 'not valid JSON (strings need quotes)';
      continue;
    }
    try {
      checkEditedValue(input, field, value);
      fields[field] = { value };
    } catch (error) {
      errors[field] = (error as Error).message;
    }
  }
  return { fields, errors };
}

/** The record the current choices would write, or the reason they cannot. */
export function preview(detail: ConflictDetail, choices: Choices): { data: JsonRecord | null; errors: Record<string, string>; error?: string } {
  const input = toInput(detail);
  const { fields, errors } = toFieldChoices(input, choices);
  try {
    return { data: applyRecordChoice(input, { fields }), errors };
  } catch (error) {
    return { data: null, errors, error: (error as Error).message };
  }
}

/** Which side the result's value of a field matches (for highlighting the preview). */
export function sourceOf(detail: ConflictDetail, data: JsonRecord | null, field: string): 'local' | 'remote' | 'both' | 'base' | 'edited' {
  const value = data ? valueOf(data, field) : undefined;
  const same = (side: unknown) => JSON.stringify(valueOf(side, field)) === JSON.stringify(value);
  const l = same(detail.local);
  const r = same(detail.remote);
  if (l && r) return 'both';
  if (l) return 'local';
  if (r) return 'remote';
  return same(detail.base) ? 'base' : 'edited';
}

/**
 * The choice to send for "apply to all similar": only side picks carry over to other records (an edited value
 * was typed for this record, so it is not copied to others).
 */
export function portableChoice(choices: Choices): ConflictChoice | null {
  const entries = Object.entries(choices);
  if (entries.some(([, s]) => s.pick === 'edit')) return null;
  return { fields: Object.fromEntries(entries.map(([f, s]) => [f, s.pick as 'local' | 'remote' | 'base'])) };
}

export function similarTo(current: ConflictSummary, all: ConflictSummary[]): ConflictSummary[] {
  return all.filter((c) => c.id !== current.id && c.status === 'pending' && c.similarKey === current.similarKey);
}

export const pickKeys: Record<string, Pick> = { '1': 'local', '2': 'remote', '3': 'base' };
