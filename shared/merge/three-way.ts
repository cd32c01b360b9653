import { diff3Merge } from 'node-diff3';
import type { FieldRule } from './field-rules';
import { canonicalJson, isPlainObject, jsonEqual, roundConfidence, setOwn, type JsonRecord } from './json';

export type Side = 'local' | 'remote';

/** How one contested path (changed differently on both sides) was decided. */
export interface FieldDecision {
  path: string;
  took: Side | 'merged';
  strategy: FieldRule['strategy'];
  confidence: number;
  note: string;
}

export interface MergeContext {
  /** the side whose hybrid logical clock is later: LWW's winner and the tie-break inside merges */
  newer: Side;
  /** the local record is active (the `local-if-active` condition) */
  localActive: boolean;
  ruleFor(path: string): FieldRule | undefined;
  /** decides a contested path no rule covers and that is not an object on both sides */
  fallback: FieldRule;
  decisions: FieldDecision[];
}

/** Trust left when a merge had to fall back to the newer value for a leaf both sides changed. */
export const LEAF_CONFLICT_FACTOR = 0.5;
/** Trust left when an array merge undid a removal only one side made. */
export const UNDONE_REMOVAL_FACTOR = 0.75;

/**
 * Three-way merge of two records against their base, field by field. A field only one side changed takes that
 * side (that is causality, not a conflict); a field both changed to the same value takes it; a field both
 * changed differently is decided by the rule for its path. `undefined` means absent; absent results are dropped.
 */
export function mergeRecord(base: JsonRecord | null, local: JsonRecord, remote: JsonRecord, ctx: MergeContext): JsonRecord {
  return mergeObject('', base ?? {}, local, remote, ctx, undefined);
}

function mergeNode(path: string, b: unknown, l: unknown, r: unknown, ctx: MergeContext, inherited: FieldRule | undefined): unknown {
  if (jsonEqual(b, l)) return r; // only remote changed, or neither
  if (jsonEqual(b, r)) return l;
  if (jsonEqual(l, r)) return l; // identical edits
  const rule = ctx.ruleFor(path) ?? inherited;
  if (rule) return applyRule(rule, path, b, l, r, ctx);
  if (isPlainObject(l) && isPlainObject(r)) return mergeObject(path, b, l, r, ctx, undefined);
  return applyRule(ctx.fallback, path, b, l, r, ctx);
}

function mergeObject(path: string, b: unknown, l: JsonRecord, r: JsonRecord, ctx: MergeContext, inherited: FieldRule | undefined): JsonRecord {
  const base = isPlainObject(b) ? b : {};
  // Key order: the newer side's, then the older side's, then the base's; so the output is the same on every node.
  const [first, second] = ctx.newer === 'local' ? [l, r] : [r, l];
  const out: JsonRecord = {};
  const seen = new Set<string>();
  for (const source of [first, second, base]) {
    for (const key of Object.keys(source)) {
      if (seen.has(key)) continue;
      seen.add(key);
      const childPath = path ? `${path}.${key}` : key;
      const value = mergeNode(childPath, own(base, key), own(l, key), own(r, key), ctx, inherited);
      if (value !== undefined) setOwn(out, key, value);
    }
  }
  return out;
}

const own = (o: JsonRecord, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

function applyRule(rule: FieldRule, path: string, b: unknown, l: unknown, r: unknown, ctx: MergeContext): unknown {
  const pick = (side: Side, note: string, confidence = rule.weight): unknown => {
    ctx.decisions.push({ path, took: side, strategy: rule.strategy, confidence: roundConfidence(confidence), note });
    return side === 'local' ? l : r;
  };
  switch (rule.strategy) {
    case 'local':
      return pick('local', 'this node wins by rule');
    case 'remote':
      return pick('remote', 'the other node wins by rule');
    case 'lww':
      return pick(ctx.newer, 'the newer write wins');
    case 'local-if-active':
      return ctx.localActive
        ? pick('local', 'kept local while the local record is active')
        : pick(ctx.newer, 'the local record is not active: the newer write wins');
    case 'merge':
      return mergeValues(rule, path, b, l, r, ctx, pick);
  }
}

function mergeValues(
  rule: FieldRule,
  path: string,
  b: unknown,
  l: unknown,
  r: unknown,
  ctx: MergeContext,
  pick: (side: Side, note: string, confidence?: number) => unknown,
): unknown {
  const [newer, older] = ctx.newer === 'local' ? [l, r] : [r, l];
  if (isPlainObject(l) && isPlainObject(r)) return mergeObject(path, b, l, r, ctx, rule);
  if (Array.isArray(l) && Array.isArray(r)) {
    const base = Array.isArray(b) ? b : [];
    const merged = unionArrays(newer as unknown[], older as unknown[]);
    const undone = oneSidedRemovals(base, l, r);
    const confidence = undone ? rule.weight * UNDONE_REMOVAL_FACTOR : rule.weight;
    const note = undone
      ? `kept both sides' items; ${undone} item(s) removed on one side only were kept`
      : "kept both sides' additions";
    ctx.decisions.push({ path, took: 'merged', strategy: 'merge', confidence: roundConfidence(confidence), note });
    return merged;
  }
  if (typeof l === 'string' && typeof r === 'string' && (l.includes('\n') || r.includes('\n'))) {
    const base = typeof b === 'string' ? b : '';
    const { text, conflicted } = mergeText(base, newer as string, older as string);
    ctx.decisions.push({
      path,
      took: 'merged',
      strategy: 'merge',
      confidence: roundConfidence(conflicted ? rule.weight * LEAF_CONFLICT_FACTOR : rule.weight),
      note: conflicted
        ? `merged line by line; ${conflicted} overlapping hunk(s) took the newer side`
        : 'merged line by line',
    });
    return text;
  }
  return pick(ctx.newer, 'both changed a value that cannot be combined: the newer write wins', rule.weight * LEAF_CONFLICT_FACTOR);
}

/** Set union keeping each item's largest multiplicity: both sides' additions stay; only what both removed goes. */
export function unionArrays(newer: readonly unknown[], older: readonly unknown[]): unknown[] {
  const counts = new Map<string, number>();
  const out: unknown[] = [];
  for (const item of newer) {
    const key = canonicalJson(item);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    out.push(item);
  }
  for (const item of older) {
    const key = canonicalJson(item);
    const left = counts.get(key) ?? 0;
    if (left > 0) counts.set(key, left - 1);
    else out.push(item);
  }
  return out;
}

function oneSidedRemovals(base: readonly unknown[], l: readonly unknown[], r: readonly unknown[]): number {
  if (base.length === 0) return 0;
  const inLocal = new Set(l.map(canonicalJson));
  const inRemote = new Set(r.map(canonicalJson));
  let undone = 0;
  for (const key of new Set(base.map(canonicalJson))) if (inLocal.has(key) !== inRemote.has(key)) undone++;
  return undone;
}

const splitLines = (text: string): string[] => (text === '' ? [] : text.split(/(?<=\n)/));

/** Line-based three-way merge (diff3); overlapping hunks take the newer side's lines. */
export function mergeText(base: string, newer: string, older: string): { text: string; conflicted: number } {
  const regions = diff3Merge(splitLines(newer), splitLines(base), splitLines(older), { excludeFalseConflicts: true });
  const out: string[] = [];
  let conflicted = 0;
  for (const region of regions) {
    if (region.ok) out.push(...region.ok);
    else if (region.conflict) {
      conflicted++;
      out.push(...region.conflict.a);
    }
  }
  return { text: out.join(''), conflicted };
}
