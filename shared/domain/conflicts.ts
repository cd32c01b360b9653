import type { SyncedTable } from './records';

/** Conflict ids: `r:<n>` for record conflicts (the store's row id), `w:<id>` for workspace text conflicts. */
export const RECORD_CONFLICT_ID = /^r:([1-9][0-9]{0,15})$/;
export const TEXT_CONFLICT_ID = /^w:([A-Za-z0-9_-]{1,64})$/;
export type ConflictRef = { kind: 'record'; id: number } | { kind: 'text'; id: string };

export function parseConflictId(id: string): ConflictRef | null {
  const record = RECORD_CONFLICT_ID.exec(id);
  if (record) {
    const n = Number(record[1]);
    return Number.isSafeInteger(n) ? { kind: 'record', id: n } : null;
  }
  const text = TEXT_CONFLICT_ID.exec(id);
  return text ? { kind: 'text', id: text[1]! } : null;
}

/** Record conflicts come from the sync of SQLite rows; text conflicts from merging the Git workspace. */
export type ConflictKind = 'record' | 'text';
export type RecordConflictType = 'update-update' | 'delete-update' | 'create-create';
export type ConflictStatus = 'pending' | 'resolved' | 'escalated';

export interface ConflictSummary {
  id: string; // `r:<n>` for record conflicts, `w:<id>` for workspace text conflicts
  kind: ConflictKind;
  type: RecordConflictType | 'modify-modify' | 'modify-delete' | 'binary' | 'twin';
  table: SyncedTable | 'workspace';
  recordId: string; // record id, or the workspace path
  /** what a person knows it by: the record's name (else its id), or the workspace path */
  title: string;
  /** whose writes they are: this node and the other side, by enrollment name and id */
  sides: { local: string; remote: string };
  status: ConflictStatus;
  detectedAt: string;
  resolvedAt: string | null;
  /** how it was resolved: a strategy name (lww, merge, rules, keep-both, ...) or manual:<choice> */
  strategy: string | null;
  resolvedBy: string | null;
  /** resolved by the automatic resolver (reviewable and undoable) rather than by a person */
  automatic: boolean;
  confidence: number | null;
  /**
   * This node's edits that the resolution replaced: their paths ([]: its whole write, a delete or an update);
   * null when none were. A person here reviews them (and undoes an automatic one) wherever it was resolved.
   */
  lostFields: string[] | null;
  /** the node that resolved it, by enrollment name and id, when it was another node; null: this node */
  resolvedOn: string | null;
  /** top-level fields changed on either side (records); empty for text */
  fields: string[];
  /** conflicts with the same key have the same shape (table, type, changed fields): "apply to all similar" */
  similarKey: string;
  /**
   * A 'twin' text conflict: the remote's path that this one (recordId) differs from only in letter case or Unicode
   * normalization. The text kept is saved under it and recordId goes; null: the remote holds a folder there (or a
   * file where recordId is under a folder), so only its side can be kept.
   */
  twinPath?: string | null;
}

/** How one top-level field differs: which sides changed it against the base, and whether they disagree. */
export interface FieldChange {
  field: string;
  local: boolean;
  remote: boolean;
  contested: boolean;
}

export interface Suggestion {
  choice: 'local' | 'remote' | 'merge';
  /** the record (or text) this choice writes; null means the record is deleted */
  data: unknown;
  confidence: number;
  tradeoff: string;
}

export interface ConflictDetail extends ConflictSummary {
  /** last synced state (null when none: create-create); for text, the merge base's content */
  base: unknown;
  /** this node's version; null when this node deleted it */
  local: unknown;
  /** the other side's version; null when it was deleted there */
  remote: unknown;
  resolved: unknown;
  /** what an automatic resolution replaced (this node's data before it), kept so it can be undone */
  replaced: unknown;
  localHlc: string | null;
  remoteHlc: string | null;
  changes: FieldChange[];
  suggestions: Suggestion[];
  /** an automatic resolution that conflicts.undo can take back */
  undoable: boolean;
  /**
   * Text conflicts: this node's side as shown (the Git blob id of `local`; null when it is a deletion or binary).
   * Pass it back as conflicts.resolve's `expectedLocalHash` with edited text or a merge, so a save made since is
   * not dropped by a resolution built from the older text.
   */
  localHash?: string | null;
}

/** What every surface says about a twin conflict (see ConflictSummary.twinPath); null for other conflicts. */
export function twinNote(c: Pick<ConflictSummary, 'recordId' | 'twinPath' | 'type'>): string | null {
  if (c.type !== 'twin') return null;
  const here = JSON.stringify(c.recordId);
  if (c.twinPath === null || c.twinPath === undefined) {
    return `This node's ${here} and a folder or file of the hub's differ only in letter case or Unicode normalization: Windows and macOS check them out as one name. Only the hub's side can be kept; this text stays on record here.`;
  }
  return `This node's ${here} and the hub's ${JSON.stringify(c.twinPath)} differ only in letter case or Unicode normalization: Windows and macOS check them out as one name. The text you keep is saved as ${JSON.stringify(c.twinPath)} and ${here} goes.`;
}

/**
 * The one sentence every surface (conflict list, review, notification) says about a resolution that replaced
 * edits made here; null when it replaced none.
 */
export function replacedEditsNote(c: Pick<ConflictSummary, 'lostFields' | 'resolvedOn' | 'automatic'>): string | null {
  if (c.lostFields === null) return null;
  const what =
    c.lostFields.length === 0
      ? 'your change as a whole'
      : `your edit of ${c.lostFields.slice(0, 3).join(', ')}${c.lostFields.length > 3 ? ` and ${c.lostFields.length - 3} more` : ''}`;
  const how = c.automatic ? 'automatically' : 'by a person';
  return `Replaced ${what}, resolved ${how}${c.resolvedOn === null ? ' here' : ` on ${c.resolvedOn}`}.`;
}
