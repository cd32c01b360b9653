import { compareHlc } from '../sync/hlc';
import type { StrategyName } from '../domain/settings';
import { activeStatuses, defaultRules, ruleLookup, type FieldRule } from './field-rules';
import { canonicalJson, roundConfidence, shortHash, type JsonRecord } from './json';
import { mergeRecord, type FieldDecision, type MergeContext, type Side } from './three-way';

export type ConflictType = 'update-update' | 'delete-update' | 'create-create';
export type DeleteUpdatePolicy = 'update-wins' | 'delete-wins' | 'manual';

/** One side of a conflict: its data (`null` when that side deleted the record) and the clock of its last write. */
export interface SideVersion {
  data: JsonRecord | null;
  hlc: string;
}

export interface ConflictInput {
  table: string;
  recordId: string;
  type: ConflictType;
  /** the last state both sides had synced (null for create-create, or when no base is known) */
  base: JsonRecord | null;
  local: SideVersion;
  remote: SideVersion;
}

/** The conflict settings of one table, plus the global threshold and delete-update policy. */
export interface TableMergeSettings {
  strategy: StrategyName;
  rules: FieldRule[];
  threshold: number;
  deleteUpdatePolicy: DeleteUpdatePolicy;
}

export type ResolutionStrategy = Exclude<StrategyName, 'manual'> | 'update-wins' | 'delete-wins';

export interface Resolution {
  /** true when the engine may apply it without a person: a strategy other than manual, confidence >= threshold */
  automatic: boolean;
  /** what produced `data`; for manual conflicts, the proposal shown as the smart merge */
  strategy: ResolutionStrategy;
  confidence: number;
  /** the resolved record; null means the record ends deleted */
  data: JsonRecord | null;
  /** keep-both: the remote version kept as a linked copy under a new id */
  copy: { recordId: string; data: JsonRecord } | null;
  decisions: FieldDecision[];
  /** one sentence for the review window and the log */
  reason: string;
}

/** Trust given to a contested field that no rule covers under the `rules` strategy (below the default threshold). */
export const UNRULED_WEIGHT = 0.5;

const everyPath = (rule: FieldRule) => (): FieldRule => rule;
/**
 * Trust given to a leaf both sides changed differently under lww, decided by hybrid logical clock: above the
 * default threshold (so it applies automatically and stays reviewable and undoable), below certainty.
 */
export const LWW_CONTESTED_WEIGHT = 0.9;
/** lww decides only contested leaves: objects both sides changed are merged key by key first (no rule matches a path). */
const LWW_LEAF_RULE: FieldRule = { field: '*', strategy: 'lww', weight: LWW_CONTESTED_WEIGHT };
const noRule = (): undefined => undefined;
const MERGE_RULE: FieldRule = { field: '*', strategy: 'merge', weight: 1 };

/** The side whose write is later by hybrid logical clock; the clock string embeds the node id, so ties are rare and still ordered. */
export function newerSide(local: SideVersion, remote: SideVersion): Side {
  const c = compareHlc(local.hlc, remote.hlc);
  if (c !== 0) return c > 0 ? 'local' : 'remote';
  return canonicalJson(local.data) >= canonicalJson(remote.data) ? 'local' : 'remote';
}

function isActive(data: JsonRecord | null): boolean {
  const status = data?.['status'];
  return typeof status === 'string' && activeStatuses.has(status);
}

/** Field-level three-way merge of both sides under a strategy's rules; confidence is the weakest decision's. */
export function mergeSides(
  input: ConflictInput,
  ruleFor: (path: string) => FieldRule | undefined,
  fallback: FieldRule,
): { data: JsonRecord; confidence: number; decisions: FieldDecision[] } {
  const ctx: MergeContext = {
    newer: newerSide(input.local, input.remote),
    localActive: isActive(input.local.data),
    ruleFor,
    fallback,
    decisions: [],
  };
  const data = mergeRecord(input.base, input.local.data ?? {}, input.remote.data ?? {}, ctx);
  const confidence = ctx.decisions.reduce((min, d) => Math.min(min, d.confidence), 1);
  return { data, confidence: roundConfidence(confidence), decisions: ctx.decisions };
}

/** The smart merge: every one-sided edit kept, contested fields merged where they can be, else the newer. */
export const smartMerge = (input: ConflictInput) => mergeSides(input, everyPath(MERGE_RULE), MERGE_RULE);

/** A deterministic id for keep-both's copy, so every node that runs it names the copy the same. */
export function copyIdFor(recordId: string, remoteHlc: string): string {
  return `${recordId.slice(0, 100)}.copy-${shortHash(`${recordId}|${remoteHlc}`)}`;
}

/**
 * Decides a conflict under the table's settings. Pure: the same input gives the same output on every node, and
 * for the symmetric strategies (lww, merge) the result does not depend on which side is local.
 */
export function resolveConflict(input: ConflictInput, settings: TableMergeSettings): Resolution {
  if (input.local.data === null || input.remote.data === null) return resolveDeleteUpdate(input, settings);
  const finish = (
    strategy: ResolutionStrategy,
    merged: { data: JsonRecord; confidence: number; decisions: FieldDecision[] },
    reason: string,
    copy: Resolution['copy'] = null,
  ): Resolution => ({
    automatic: settings.strategy !== 'manual' && merged.confidence >= settings.threshold,
    strategy,
    confidence: merged.confidence,
    data: merged.data,
    copy,
    decisions: merged.decisions,
    reason,
  });

  switch (settings.strategy) {
    case 'lww': {
      const merged = mergeSides(input, noRule, LWW_LEAF_RULE);
      return finish(
        'lww',
        merged,
        merged.decisions.length
          ? `Both sides' separate edits kept, key by key; ${merged.decisions.length} value(s) both changed take the newer (${newerSide(input.local, input.remote)}) write.`
          : 'The edits do not overlap: both sides merged key by key.',
      );
    }
    case 'local':
    case 'remote': {
      const side = settings.strategy;
      const data = (side === 'local' ? input.local.data : input.remote.data) as JsonRecord;
      return finish(side, { data, confidence: 1, decisions: [] }, `The ${side} version wins by the table's strategy.`);
    }
    case 'merge': {
      const merged = smartMerge(input);
      return finish('merge', merged, merged.decisions.length ? 'Field-level three-way merge of both sides against the base.' : 'The edits do not overlap: both sides merged cleanly.');
    }
    case 'keep-both': {
      const copyId = copyIdFor(input.recordId, input.remote.hlc);
      const copyData = linkedCopy(input.remote.data);
      return finish('keep-both', { data: input.local.data, confidence: 1, decisions: [] }, `The local version stays; the remote one is kept as ${copyId}.`, {
        recordId: copyId,
        data: copyData,
      });
    }
    case 'rules': {
      const rules = settings.rules.length > 0 ? settings.rules : (defaultRules[input.table] ?? []);
      const fallback: FieldRule = { field: '*', strategy: 'lww', weight: UNRULED_WEIGHT };
      const merged = mergeSides(input, ruleLookup(rules), fallback);
      return finish('rules', merged, 'Decided field by field by the table rules.');
    }
    case 'manual': {
      const merged = smartMerge(input);
      return { ...finish('merge', merged, 'The table asks a person to decide every conflict.'), automatic: false };
    }
  }
}

function linkedCopy(data: JsonRecord): JsonRecord {
  const name = data['name'];
  return typeof name === 'string' ? { ...data, name: `${name.slice(0, 180)} (conflict copy)` } : { ...data };
}

function resolveDeleteUpdate(input: ConflictInput, settings: TableMergeSettings): Resolution {
  const updated = input.local.data ?? input.remote.data;
  const deleter: Side = input.local.data === null ? 'local' : 'remote';
  if (updated === null) {
    return { automatic: true, strategy: 'delete-wins', confidence: 1, data: null, copy: null, decisions: [], reason: 'Both sides deleted the record.' };
  }
  const base = { copy: null, decisions: [] };
  switch (settings.deleteUpdatePolicy) {
    case 'update-wins':
      return { ...base, automatic: true, strategy: 'update-wins', confidence: 1, data: updated, reason: `The ${deleter === 'local' ? 'remote' : 'local'} edit wins over the ${deleter} delete by policy.` };
    case 'delete-wins':
      return { ...base, automatic: true, strategy: 'delete-wins', confidence: 1, data: null, reason: `The ${deleter} delete wins over the edit by policy.` };
    case 'manual':
      return { ...base, automatic: false, strategy: 'update-wins', confidence: 0, data: updated, reason: `One side deleted the record while the other edited it: a person decides.` };
  }
}
