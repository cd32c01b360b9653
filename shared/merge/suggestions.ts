import { newerSide, smartMerge, type ConflictInput } from './engine';
import { jsonEqual, roundConfidence, type JsonRecord } from './json';
import type { FieldChange } from '../domain/conflicts';

export type { FieldChange };

/** Top-level fields changed on either side, in a stable order (local's keys, then remote's, then base's). */
export function changedFields(base: JsonRecord | null, local: JsonRecord | null, remote: JsonRecord | null): FieldChange[] {
  const b = base ?? {};
  const l = local ?? {};
  const r = remote ?? {};
  const out: FieldChange[] = [];
  const seen = new Set<string>();
  for (const key of [...Object.keys(l), ...Object.keys(r), ...Object.keys(b)]) {
    if (seen.has(key)) continue;
    seen.add(key);
    const bv = Object.hasOwn(b, key) ? b[key] : undefined;
    const lv = Object.hasOwn(l, key) ? l[key] : undefined;
    const rv = Object.hasOwn(r, key) ? r[key] : undefined;
    const localChanged = local !== null && !jsonEqual(bv, lv);
    const remoteChanged = remote !== null && !jsonEqual(bv, rv);
    if (!localChanged && !remoteChanged) continue;
    out.push({ field: key, local: localChanged, remote: remoteChanged, contested: localChanged && remoteChanged && !jsonEqual(lv, rv) });
  }
  return out;
}

export interface Suggestion {
  choice: 'local' | 'remote' | 'merge';
  /** the record this choice writes; null means the record is deleted */
  data: JsonRecord | null;
  /** keep local/remote: the share of both sides' edits the choice keeps (0..1); merge: the merge's own confidence */
  confidence: number;
  tradeoff: string;
}

const list = (fields: string[]): string => {
  const shown = fields.slice(0, 4).join(', ');
  return fields.length > 4 ? `${shown} and ${fields.length - 4} more` : shown;
};

/** Share of the edits (per changed field and side) that survive in `data`. */
function keptShare(input: ConflictInput, changes: FieldChange[], data: JsonRecord | null): number {
  if (changes.length === 0) return 1;
  let edits = 0;
  let kept = 0;
  for (const c of changes) {
    for (const side of ['local', 'remote'] as const) {
      if (!c[side]) continue;
      edits++;
      const source = input[side].data;
      if (data !== null && source !== null && jsonEqual(data[c.field], source[c.field])) kept++;
    }
  }
  return edits === 0 ? 1 : kept / edits;
}

function lostEdits(changes: FieldChange[], input: ConflictInput, data: JsonRecord | null, side: 'local' | 'remote'): string[] {
  const source = input[side].data;
  if (source === null) return [];
  return changes.filter((c) => c[side] && (data === null || !jsonEqual(data[c.field], source[c.field]))).map((c) => c.field);
}

/** Keep local, keep remote and (when both sides still exist) smart merge, each with its trade-off in a sentence. */
export function suggestionsFor(input: ConflictInput): Suggestion[] {
  const changes = changedFields(input.base, input.local.data, input.remote.data);
  const out: Suggestion[] = [];
  const node = { local: 'this node', remote: 'the other node' } as const;
  for (const side of ['local', 'remote'] as const) {
    const other = side === 'local' ? 'remote' : 'local';
    const data = input[side].data;
    let tradeoff: string;
    if (data === null) {
      tradeoff = `Deletes the record as ${node[side]} did; ${node[other]}'s edits${editsList(changes, other)} are discarded.`;
    } else if (input[other].data === null) {
      tradeoff = `Keeps the record with ${node[side]}'s edits; the delete made on ${node[other]} is undone.`;
    } else {
      const lost = lostEdits(changes, input, data, other);
      tradeoff = lost.length
        ? `Keeps ${node[side]}'s version; ${node[other]}'s edits to ${list(lost)} are dropped.`
        : `Keeps ${node[side]}'s version; nothing from ${node[other]} is lost.`;
    }
    out.push({ choice: side, data, confidence: roundConfidence(keptShare(input, changes, data)), tradeoff });
  }
  if (input.local.data !== null && input.remote.data !== null) {
    const merged = smartMerge(input);
    const newer = newerSide(input.local, input.remote);
    const overridden = merged.decisions.filter((d) => d.took !== 'merged').map((d) => d.path);
    const combined = merged.decisions.filter((d) => d.took === 'merged').map((d) => d.path);
    const parts = ['Keeps every edit only one side made'];
    if (combined.length) parts.push(`combines both sides in ${list(combined)}`);
    if (overridden.length) parts.push(`where both changed ${list(overridden)} it takes the newer (${newer}) value`);
    out.push({
      choice: 'merge',
      data: merged.data,
      confidence: merged.confidence,
      tradeoff: overridden.length || combined.length ? `${parts.join('; ')}.` : 'The edits do not overlap: both sides are kept in full.',
    });
  }
  return out;
}

function editsList(changes: FieldChange[], side: 'local' | 'remote'): string {
  const fields = changes.filter((c) => c[side]).map((c) => c.field);
  return fields.length ? ` to ${list(fields)}` : '';
}
