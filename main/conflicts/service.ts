import type { ConflictChoice, ConflictListQuery } from '../../shared/api/conflicts';
import type { ConflictDetail, ConflictSummary } from '../../shared/domain/conflicts';
import type { Page } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import { applyRecordChoice, smartMerge, type JsonRecord } from '../../shared/merge/index';
import type { EventBus } from '../events';
import type { Logger } from '../../lib/log';
import type { RecordConflictStore, TextConflictSource } from './ports';
import { parseConflictId } from '../../shared/domain/conflicts';
import { idLabels, recordDetail, recordSummary, textDetail, textSummary, toConflictInput, withMergeProposal, type NodeLabels } from './views';

export type ConflictListInput = ConflictListQuery;

/**
 * conflicts.*: one list over record conflicts (edge store) and text conflicts (workspace), a person's choice
 * turned into a resolution write, undo of automatic resolutions, escalation, and the `conflicts.changed` event
 * with the pending count whenever that count changes: its one owner (the store's change listener and the
 * workspace's onConflictsChanged tell it to re-count).
 */
export class ConflictService {
  private lastPending: number | null = null;
  private get labels(): NodeLabels {
    return this.deps.labels ?? idLabels;
  }

  /** Names the sides once the sync host (which knows the hub's node names) exists. */
  setLabels(labels: NodeLabels): void {
    this.deps.labels = labels;
  }

  constructor(
    private readonly deps: {
      records: RecordConflictStore;
      texts?: TextConflictSource | undefined;
      events: EventBus;
      log: Logger;
      /** who a person's resolution is recorded as */
      personName: () => string;
      /** how the two sides of a conflict are named (default: ids) */
      labels?: NodeLabels;
    },
  ) {}

  async list(input: ConflictListInput): Promise<Page<ConflictSummary>> {
    const want = input.offset + input.limit;
    const records = input.table === 'workspace' ? { items: [], total: 0 } : this.listRecords(input, want);
    const texts =
      // text conflicts are never automatic, never replace an edit unasked, and have no record id
      this.deps.texts &&
      (input.table === undefined || input.table === 'workspace') &&
      input.automatic !== true &&
      input.lost !== true &&
      input.recordId === undefined
        ? await this.deps.texts.list({ ...(input.status ? { status: input.status } : {}), offset: 0, limit: Math.min(want, 1000) })
        : { items: [], total: 0 };
    const merged = [...records.items, ...texts.items.map((t) => textSummary(t, this.labels))].sort((a, b) =>
      a.detectedAt === b.detectedAt ? (a.id < b.id ? 1 : -1) : a.detectedAt < b.detectedAt ? 1 : -1,
    );
    return { items: merged.slice(input.offset, want), total: records.total + texts.total, offset: input.offset, limit: input.limit };
  }

  private listRecords(input: ConflictListInput, want: number): { items: ConflictSummary[]; total: number } {
    const store = this.deps.records;
    const base = { ...(input.status ? { status: input.status } : {}), ...(input.table && input.table !== 'workspace' ? { table: input.table } : {}) };
    const summarize = (c: Parameters<typeof recordSummary>[0]) => recordSummary(c, store.getConflict(c.id), this.labels);
    const page = store.listConflicts({
      ...base,
      ...(input.automatic !== undefined ? { automatic: input.automatic } : {}),
      ...(input.lost !== undefined ? { lost: input.lost } : {}),
      ...(input.recordId !== undefined ? { recordId: input.recordId } : {}),
      offset: 0,
      limit: Math.min(want, 1000),
    });
    return { items: page.items.map(summarize), total: page.total };
  }

  async get(id: string): Promise<ConflictDetail> {
    const ref = this.ref(id);
    if (ref.kind === 'record') return recordDetail(this.deps.records.getConflict(ref.id), this.labels);
    return textDetail(await this.texts().get(ref.id), this.labels);
  }

  /**
   * A person's choice, written like any local change (it syncs, and every node converges to it). For a text
   * conflict, `expectedLocalHash` is the local side the person saw (ConflictDetail.localHash): edited text or a merge
   * made from an older local side is refused with a `conflict` error instead of dropping the save that replaced it.
   */
  async resolve(id: string, choice: ConflictChoice, options: { expectedLocalHash?: string | null } = {}): Promise<ConflictDetail> {
    const ref = this.ref(id);
    const resolvedBy = this.deps.personName();
    let detail: ConflictDetail;
    if (ref.kind === 'record') {
      const conflict = this.deps.records.getConflict(ref.id);
      if (conflict.status === 'resolved') {
        throw new OutpostError('conflict', `Conflict ${id} is already resolved (${conflict.strategy ?? 'no strategy'}).`);
      }
      const input = toConflictInput(conflict);
      let data: JsonRecord | null;
      let how: string;
      if (choice === 'merge') {
        if (input.local.data === null || input.remote.data === null) {
          throw new OutpostError('invalid_input', 'One side deleted the record, so there is nothing to merge: choose local or remote.');
        }
        data = smartMerge(input).data;
        how = 'merge';
      } else {
        data = applyRecordChoice(input, choice);
        how = typeof choice === 'string' ? choice : 'fields';
      }
      const resolved = this.deps.records.resolveConflict(ref.id, { resolvedData: data, strategy: `manual:${how}`, resolvedBy, confidence: 1, automatic: false });
      detail = recordDetail(resolved, this.labels);
    } else {
      const conflict = withMergeProposal(await this.texts().get(ref.id));
      if (conflict.status === 'resolved') throw new OutpostError('conflict', `Conflict ${id} is already resolved.`);
      const builtFromLocal = choice === 'merge' || (typeof choice === 'object' && choice.text !== undefined);
      if (builtFromLocal && options.expectedLocalHash !== undefined && conflict.localHash !== undefined && options.expectedLocalHash !== conflict.localHash) {
        throw new OutpostError('conflict', `This node's side of ${id} changed since it was shown (a save made meanwhile is its local side now): nothing was resolved. Reload the conflict and resolve it again.`, {
          localHash: conflict.localHash,
        });
      }
      // what the workspace checks under its lock: the side the person saw, else (a merge) the side read here
      const expected = !builtFromLocal ? undefined : choice === 'merge' ? conflict.localHash : options.expectedLocalHash;
      let text: string | null;
      if (choice === 'local') text = conflict.local;
      else if (choice === 'remote') text = conflict.remote;
      else if (choice === 'merge') {
        if (typeof conflict.merged !== 'string') throw new OutpostError('invalid_input', 'This text conflict has no merge proposal: edit the text instead.');
        text = conflict.merged;
      } else if (choice.text !== undefined) text = choice.text;
      else throw new OutpostError('invalid_input', 'A text conflict is resolved with local, remote, merge or the edited text, not field choices.');
      const how = typeof choice === 'string' ? choice : 'text';
      const check = expected !== undefined ? { expectedLocalHash: expected } : {};
      detail = textDetail(await this.texts().resolve(ref.id, { text, strategy: `manual:${how}`, resolvedBy, ...check }), this.labels);
    }
    this.deps.log.info('conflict resolved by a person', { id, strategy: detail.strategy });
    await this.refreshPending();
    return detail;
  }

  /** Takes back an automatic resolution: the replaced data is written again and the conflict is pending. */
  async undo(id: string): Promise<ConflictDetail> {
    const ref = this.ref(id);
    if (ref.kind !== 'record') throw new OutpostError('conflict', 'Text conflicts are only resolved by a person, so there is no automatic resolution to undo.');
    const current = this.deps.records.getConflict(ref.id);
    if (current.status !== 'resolved' || !current.automatic) {
      throw new OutpostError('conflict', `Conflict ${id} was not resolved automatically, so there is nothing to undo.`);
    }
    const detail = recordDetail(this.deps.records.undoResolution(ref.id), this.labels);
    this.deps.log.info('automatic resolution undone', { id, strategy: current.strategy });
    await this.refreshPending();
    return detail;
  }

  async escalate(id: string): Promise<ConflictDetail> {
    const ref = this.ref(id);
    let detail: ConflictDetail;
    if (ref.kind === 'record') {
      const current = this.deps.records.getConflict(ref.id);
      if (current.status !== 'pending') throw new OutpostError('conflict', `Conflict ${id} is ${current.status}; only a pending conflict can be escalated.`);
      if (!this.deps.records.escalateConflict) throw new OutpostError('unavailable', 'This node cannot escalate record conflicts.');
      detail = recordDetail(this.deps.records.escalateConflict(ref.id), this.labels);
    } else {
      const texts = this.texts();
      if (!texts.escalate) throw new OutpostError('unavailable', 'This node cannot escalate text conflicts.');
      detail = textDetail(await texts.escalate(ref.id), this.labels);
    }
    await this.refreshPending();
    return detail;
  }

  /** Pending conflicts of both kinds (what needs a person). */
  async pendingCount(): Promise<number> {
    const records = this.deps.records.listConflicts({ status: 'pending', offset: 0, limit: 1 }).total;
    const texts = this.deps.texts ? (await this.deps.texts.list({ status: 'pending', offset: 0, limit: 1 })).total : 0;
    return records + texts;
  }

  /** Emits `conflicts.changed` when the pending count differs from the last one emitted. Call after any change. */
  async refreshPending(): Promise<number> {
    const pending = await this.pendingCount();
    if (pending !== this.lastPending) {
      this.lastPending = pending;
      this.deps.events.emit('conflicts.changed', { pending });
    }
    return pending;
  }

  private ref(id: string) {
    const ref = parseConflictId(id);
    if (!ref) throw new OutpostError('invalid_input', `Invalid conflict id ${JSON.stringify(id.slice(0, 80))}: expected r:<number> or w:<id>.`);
    return ref;
  }

  private texts(): TextConflictSource {
    if (!this.deps.texts) throw new OutpostError('not_found', 'This node has no workspace, so it has no text conflicts.');
    return this.deps.texts;
  }
}
