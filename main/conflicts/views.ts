import type { ConflictDetail, ConflictSummary, Suggestion } from '../../shared/domain/conflicts';
import { changedFields, suggestionsFor, type ConflictInput } from '../../shared/merge/index';
import type { RecordConflict, RecordConflictDetail } from '../store/types';
import type { TextConflict } from './ports';
import { mergeText } from '../../shared/domain/workspace-merge';

/** The pure engine's view of a stored record conflict. */
export function toConflictInput(c: RecordConflictDetail): ConflictInput {
  return {
    table: c.table,
    recordId: c.recordId,
    type: c.type,
    base: c.base,
    local: { data: c.local, hlc: c.localHlc ?? '' },
    remote: { data: c.remote, hlc: c.remoteHlc },
  };
}

export function similarKeyOf(table: string, type: string, changes: { field: string; contested: boolean }[]): string {
  const fields = changes.map((c) => (c.contested ? `${c.field}!` : c.field)).sort();
  return `${table}|${type}|${fields.join(',')}`;
}

/** How the nodes on each side of a conflict are named (main/sync-host/node-directory.ts gives the names). */
export interface NodeLabels {
  self(): string;
  node(nodeId: string): string;
}
export const idLabels: NodeLabels = { self: () => 'this node', node: (id) => id };

/** The record's own name on either side (agents and workflows have one), else its id. */
function titleOf(detail: RecordConflictDetail): string {
  for (const side of [detail.local, detail.remote, detail.base]) {
    const name = side?.name;
    if (typeof name === 'string' && name.trim() !== '') return name;
  }
  return detail.recordId;
}

export function recordSummary(summary: RecordConflict, detail: RecordConflictDetail, labels: NodeLabels = idLabels): ConflictSummary {
  const changes = changedFields(detail.base, detail.local, detail.remote);
  return {
    id: `r:${summary.id}`,
    kind: 'record',
    type: summary.type,
    table: summary.table,
    recordId: summary.recordId,
    title: titleOf(detail),
    sides: { local: labels.self(), remote: labels.node(detail.remoteNodeId) },
    status: summary.status,
    detectedAt: summary.detectedAt,
    resolvedAt: summary.resolvedAt,
    strategy: summary.strategy,
    resolvedBy: summary.resolvedBy,
    automatic: summary.automatic,
    confidence: summary.confidence,
    lostFields: summary.lostFields,
    resolvedOn: summary.resolvedOn === null ? null : labels.node(summary.resolvedOn),
    fields: changes.map((c) => c.field),
    similarKey: similarKeyOf(summary.table, summary.type, changes),
  };
}

export function recordDetail(c: RecordConflictDetail, labels: NodeLabels = idLabels): ConflictDetail {
  const changes = changedFields(c.base, c.local, c.remote);
  return {
    ...recordSummary(c, c, labels),
    base: c.base,
    local: c.local,
    remote: c.remote,
    resolved: c.status === 'resolved' ? c.resolved : null,
    replaced: c.replaced,
    localHlc: c.localHlc,
    remoteHlc: c.remoteHlc,
    changes,
    suggestions: c.status === 'resolved' ? [] : suggestionsFor(toConflictInput(c)),
    undoable: c.status === 'resolved' && c.automatic && c.replaced !== null,
  };
}

export function textSummary(t: TextConflict, labels: NodeLabels = idLabels): ConflictSummary {
  return {
    id: `w:${t.id}`,
    kind: 'text',
    type: t.type,
    table: 'workspace',
    recordId: t.path,
    title: t.path,
    // Git commits name their author, not the node: the other side is the hub's branch
    sides: { local: labels.self(), remote: "the hub's workspace" },
    status: t.status,
    detectedAt: t.detectedAt,
    resolvedAt: t.resolvedAt,
    strategy: t.strategy,
    resolvedBy: t.resolvedBy,
    automatic: false,
    confidence: null,
    lostFields: null,
    resolvedOn: null,
    fields: [],
    similarKey: `workspace|${t.type}|${t.path}`,
    ...(t.type === 'twin' ? { twinPath: t.twinPath ?? null } : {}),
  };
}

/** Fills in the line merge (conflict hunks holding the local side) when the workspace did not give one. */
export function withMergeProposal(t: TextConflict): TextConflict & { mergeClean?: boolean } {
  if (t.merged !== undefined || t.local === null || t.remote === null || t.base === null) return t;
  const merge = mergeText(t.base, t.local, t.remote);
  return { ...t, merged: merge.text, mergeClean: merge.clean };
}

export function textDetail(conflict: TextConflict, labels: NodeLabels = idLabels): ConflictDetail {
  const t = withMergeProposal(conflict);
  const suggestions: Suggestion[] = [];
  if (t.status !== 'resolved' && t.type === 'twin') {
    // one name stays (the remote's), so the choice is which text it holds
    const name = JSON.stringify(t.twinPath ?? '');
    if (t.twinPath) suggestions.push({ choice: 'local', data: t.local, confidence: 0.5, tradeoff: `Keeps this node's text, saved as ${name}; the other node's text there is replaced.` });
    suggestions.push(
      t.remote === null
        ? { choice: 'remote', data: null, confidence: 0.5, tradeoff: `The other node has no file ${t.twinPath ? `at ${name}` : 'there'}: this node's file goes (its text stays on record here).` }
        : { choice: 'remote', data: t.remote, confidence: 0.5, tradeoff: `Keeps the other node's ${name} as it is; this node's file goes (its text stays on record here).` },
    );
  } else if (t.status !== 'resolved') {
    suggestions.push(
      t.local === null
        ? { choice: 'local', data: null, confidence: 0.5, tradeoff: "Deletes the file as this node did; the other node's edits are discarded." }
        : { choice: 'local', data: t.local, confidence: 0.5, tradeoff: "Keeps this node's text; the other node's edits are dropped." },
      t.remote === null
        ? { choice: 'remote', data: null, confidence: 0.5, tradeoff: "Deletes the file as the other node did; this node's edits are discarded." }
        : { choice: 'remote', data: t.remote, confidence: 0.5, tradeoff: "Takes the other node's text; this node's edits are dropped." },
    );
    if (typeof t.merged === 'string') {
      suggestions.push(
        t.mergeClean
          ? { choice: 'merge', data: t.merged, confidence: 0.9, tradeoff: 'The two sides changed different lines: both are kept.' }
          : { choice: 'merge', data: t.merged, confidence: 0.5, tradeoff: "Every change that does not overlap is kept; overlapping lines hold this node's side: check them." },
      );
    }
  }
  return {
    ...textSummary(t, labels),
    base: t.base,
    local: t.local,
    remote: t.remote,
    resolved: t.resolved,
    replaced: null,
    localHlc: null,
    remoteHlc: null,
    changes: [],
    suggestions,
    undoable: false,
    ...(t.localHash !== undefined ? { localHash: t.localHash } : {}),
  };
}
