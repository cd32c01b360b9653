import type Database from 'better-sqlite3';
import { syncedTables, type JsonObject, type SyncedTable, type VersionVector } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import { decodeHlc, encodeHlc, isHlc } from '../../shared/sync/hlc';
import { compareVv, isVersionVector, mergeVv } from '../../shared/sync/version-vector';
import { nowIso, type StoreCore } from './core';
import type { Conflicts } from './conflicts';
import type { SyncQueue } from './queue';
import type { RecordRepository } from './records';
import type { Shadows } from './shadow';
import { checkId, dataColumns, parseData, specOf, tableSpecs, type TableSpec } from './tables';
import type { ApplyResult, PushConflict, RemoteChange } from './types';

const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const CURSOR_KEY = 'hub.cursor';

/** Placeholder values for a parent row that a pulled record references before the parent itself arrives. */
const placeholderColumns: Partial<Record<SyncedTable, Record<string, string | null>>> = {
  agents: { name: '', type: '', status: 'inactive', config: '{}' },
  workflows: { name: '', definition: '{}', status: 'draft', agent_id: null },
};

interface ValidChange {
  spec: TableSpec;
  recordId: string;
  deleted: boolean;
  data: JsonObject | null;
  dataJson: string | null;
  vv: VersionVector;
  vvJson: string;
  hlc: string;
  nodeId: string;
  seq: number;
}

interface TableStatements {
  selectSync: Database.Statement;
  insert: Database.Statement;
  overwrite: Database.Statement;
  overwriteDeleted: Database.Statement;
  mergeVv: Database.Statement;
  placeholder: Database.Statement | null;
}

/**
 * Applies what the hub says, never losing a local change:
 * - no local row: insert it as synced;
 * - the remote vector strictly descends from the local one: it has seen every local write, so fast-forward
 *   (even with a local item pending: that item's content is in the remote state, so it is dropped);
 * - the local vector descends from (or equals) the remote one: old news or an echo, skip;
 * - concurrent: a conflict. The local row stays as it is, its queue item is blocked, a conflict row records
 *   base (shadow), local and remote. Two concurrent deletes agree, and only merge their vectors.
 * A pulled record whose parent (agent, workflow) is unknown gets a tombstone placeholder parent with an empty
 * vector, which the parent's own state, when it arrives, fast-forwards.
 */
export class RemoteApplier {
  private readonly statements = new Map<SyncedTable, TableStatements>();

  constructor(
    private readonly core: StoreCore,
    private readonly shadows: Shadows,
    private readonly queue: SyncQueue,
    private readonly conflicts: Conflicts,
    private readonly repos: Record<SyncedTable, RecordRepository>,
  ) {
    for (const table of syncedTables) this.statements.set(table, this.prepare(tableSpecs[table]));
  }

  private prepare(spec: TableSpec): TableStatements {
    const cols = spec.fields.map((f) => f.column);
    const db = this.core.db;
    const ph = placeholderColumns[spec.table];
    return {
      selectSync: db.prepare(`SELECT vv, deleted, sync_status, created_at FROM ${spec.table} WHERE id = ?`),
      insert: db.prepare(
        `INSERT INTO ${spec.table} (id, ${cols.join(', ')}, version, hlc, node_id, vv, deleted, sync_status, last_sync, updated_at)
         VALUES (?, ${cols.map(() => '?').join(', ')}, 1, ?, ?, ?, ?, 'synced', ?, ?)`,
      ),
      overwrite: db.prepare(
        `UPDATE ${spec.table} SET ${cols.map((c) => `${c} = ?`).join(', ')}, version = version + 1, hlc = ?, node_id = ?, vv = ?,
           deleted = 0, sync_status = 'synced', last_sync = ?, updated_at = ? WHERE id = ?`,
      ),
      overwriteDeleted: db.prepare(
        `UPDATE ${spec.table} SET version = version + 1, hlc = ?, node_id = ?, vv = ?, deleted = 1, sync_status = 'synced', last_sync = ?,
           updated_at = ? WHERE id = ?`,
      ),
      mergeVv: db.prepare(`UPDATE ${spec.table} SET vv = ? WHERE id = ?`),
      placeholder: ph
        ? db.prepare(
            `INSERT OR IGNORE INTO ${spec.table} (id, ${Object.keys(ph).join(', ')}, hlc, node_id, vv, deleted, sync_status)
             VALUES (?, ${Object.keys(ph).map(() => '?').join(', ')}, ?, ?, '{}', 1, 'synced')`,
          )
        : null,
    };
  }

  apply(changes: readonly RemoteChange[], cursor?: number): ApplyResult {
    if (!Array.isArray(changes)) throw new OutpostError('invalid_input', 'changes must be an array.');
    if (cursor !== undefined && !(Number.isSafeInteger(cursor) && cursor >= 0)) {
      throw new OutpostError('invalid_input', `Invalid cursor ${JSON.stringify(cursor)}: a non-negative integer.`);
    }
    // validate everything first: a corrupt or hostile batch is refused whole, before anything is written
    const valid = changes.map((c) => validate(c));
    return this.core.write(() => {
      const result: ApplyResult = { applied: 0, skipped: 0, conflicts: 0, conflictIds: [] };
      const now = nowIso();
      for (const c of valid) {
        this.core.clock.receive(c.hlc);
        const outcome = this.applyOne(c, now);
        if (outcome === 'applied') result.applied++;
        else if (outcome === 'skipped') result.skipped++;
        else {
          result.conflicts++;
          result.conflictIds.push(outcome);
        }
      }
      if (cursor !== undefined) this.setCursorInTx(cursor);
      return result;
    });
  }

  private applyOne(c: ValidChange, now: string): 'applied' | 'skipped' | number {
    const st = this.statements.get(c.spec.table)!;
    const local = st.selectSync.get(c.recordId) as { vv: string; deleted: number; sync_status: string; created_at: string } | undefined;
    const updatedAt = new Date(decodeHlc(c.hlc).wallMs).toISOString();
    if (!local) {
      this.shadows.advanceRaw(c.spec.table, c.recordId, c.dataJson, c.vvJson, c.hlc, c.deleted);
      if (c.deleted) return 'applied'; // a tombstone of a record never seen here: the shadow remembers it
      this.ensureParent(c);
      st.insert.run(c.recordId, ...dataColumns(c.spec, c.data!, updatedAt), c.hlc, c.nodeId, c.vvJson, 0, now, updatedAt);
      this.core.touch(c.spec.table, c.recordId);
      return 'applied';
    }
    const localVv = JSON.parse(local.vv) as VersionVector;
    const order = compareVv(c.vv, localVv);
    if (order === 'equal' || order === 'before') {
      this.shadows.advance(c.spec.table, c.recordId, { data: c.data, vv: c.vv, hlc: c.hlc, deleted: c.deleted });
      return 'skipped';
    }
    if (order === 'after') {
      if (c.deleted) st.overwriteDeleted.run(c.hlc, c.nodeId, c.vvJson, now, updatedAt, c.recordId);
      else {
        this.ensureParent(c);
        st.overwrite.run(...dataColumns(c.spec, c.data!, local.created_at), c.hlc, c.nodeId, c.vvJson, now, updatedAt, c.recordId);
      }
      this.shadows.advanceRaw(c.spec.table, c.recordId, c.dataJson, c.vvJson, c.hlc, c.deleted);
      if (local.sync_status !== 'synced') this.dropSubsumedLocalChanges(c.spec.table, c.recordId, now);
      this.core.touch(c.spec.table, c.recordId);
      return 'applied';
    }
    // concurrent
    if (c.deleted && local.deleted === 1) {
      st.mergeVv.run(JSON.stringify(mergeVv(localVv, c.vv)), c.recordId);
      this.shadows.advance(c.spec.table, c.recordId, { data: null, vv: c.vv, hlc: c.hlc, deleted: true });
      return 'skipped';
    }
    const row = this.repos[c.spec.table].getRow(c.recordId)!;
    return this.conflicts.record(c.spec, row, { data: c.data, deleted: c.deleted, vv: c.vv, hlc: c.hlc, nodeId: c.nodeId, seq: c.seq });
  }

  /** The remote state has seen every local write: pending and failed items of the record have nothing left to say. */
  private dropSubsumedLocalChanges(table: SyncedTable, recordId: string, now: string): void {
    this.core.stmt(`DELETE FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending'`).run(table, recordId);
    this.core
      .stmt(
        `UPDATE sync_queue SET status = 'completed', completed_at = ?, error_message = 'superseded by a remote state that includes it'
         WHERE table_name = ? AND record_id = ? AND status = 'failed'`,
      )
      .run(now, table, recordId);
    this.conflicts.supersede(table, recordId, now);
    this.core.touch('sync_queue');
  }

  private ensureParent(c: ValidChange): void {
    const parent = c.spec.parent;
    if (!parent || !c.data) return;
    const parentId = c.data[parent.field];
    if (typeof parentId !== 'string') return;
    const ph = placeholderColumns[parent.table]!;
    this.statements
      .get(parent.table)!
      .placeholder!.run(parentId, ...Object.values(ph), encodeHlc({ wallMs: 0, counter: 0, nodeId: this.core.nodeId }), this.core.nodeId);
  }

  /**
   * The hub refused a push because the change did not descend from its current state. If our row has already
   * seen the hub's state, it is not a conflict: equal means the hub has our write (a lost ack), so the item
   * completes; otherwise the shadow moves to the hub's state and the item goes back to pending to be pushed
   * on that base. Anything else is recorded as a conflict and blocks the item.
   */
  pushConflicts(items: readonly PushConflict[]): { conflicts: number; requeued: number; completed: number; conflictIds: number[] } {
    return this.core.write(() => {
      const out = { conflicts: 0, requeued: 0, completed: 0, conflictIds: [] as number[] };
      const now = nowIso();
      for (const { queueId, remote } of items) {
        const item = this.queue.byId(queueId);
        if (!item || item.status !== 'processing') continue;
        if (remote.table !== item.table_name || remote.recordId !== item.record_id) {
          throw new OutpostError('invalid_input', `Push conflict for queue item ${queueId} names another record (${remote.table}/${remote.recordId}).`);
        }
        // the hub answers a record it does not have with an empty vector: "absent", which every state descends from
        const c = validate({ ...remote, op: remote.deleted ? 'delete' : 'upsert', data: remote.deleted ? null : remote.data }, true);
        this.core.clock.receive(c.hlc);
        const spec = c.spec;
        const row = this.repos[spec.table].getRow(c.recordId);
        if (!row) continue;
        const onHub = { data: c.data, vv: c.vv, hlc: c.hlc, deleted: c.deleted };
        const order = compareVv(JSON.parse(row.vv as string) as VersionVector, c.vv);
        if (order === 'equal') {
          this.queue.complete(item, c.seq, onHub, row.hlc as string, now);
          out.completed++;
        } else if (order === 'after') {
          this.shadows.advance(spec.table, c.recordId, onHub);
          this.queue.returnToPending(item, { attempts: item.attempts, nextAttemptAt: null, error: null, keepSnapshot: false });
          out.requeued++;
        } else {
          this.queue.returnToPending(item, { attempts: item.attempts, nextAttemptAt: null, error: null, keepSnapshot: false });
          const id = this.conflicts.record(spec, row, { data: c.data, deleted: c.deleted, vv: c.vv, hlc: c.hlc, nodeId: c.nodeId, seq: c.seq });
          out.conflicts++;
          out.conflictIds.push(id);
        }
      }
      return out;
    });
  }

  getCursor(): number {
    const row = this.core.stmt('SELECT value FROM sync_state WHERE key = ?').get(CURSOR_KEY) as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  setCursor(cursor: number): void {
    if (!(Number.isSafeInteger(cursor) && cursor >= 0)) throw new OutpostError('invalid_input', 'The cursor must be a non-negative integer.');
    this.core.write(() => this.setCursorInTx(cursor));
  }

  private setCursorInTx(cursor: number): void {
    this.core
      .stmt('INSERT INTO sync_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run(CURSOR_KEY, String(cursor));
  }
}

function validate(c: RemoteChange, allowEmptyVv = false): ValidChange {
  if (typeof c !== 'object' || c === null) throw new OutpostError('invalid_input', 'A remote change must be an object.');
  const spec = specOf(c.table);
  const recordId = checkId(c.recordId);
  if (c.op !== 'upsert' && c.op !== 'delete') throw new OutpostError('invalid_input', `Remote change of ${recordId}: op must be upsert or delete.`);
  if (!isVersionVector(c.vv) || (!allowEmptyVv && Object.keys(c.vv).length === 0) || !Object.keys(c.vv).every((k) => NODE_ID.test(k))) {
    throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid version vector.`);
  }
  if (!isHlc(c.hlc)) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid hybrid logical clock.`);
  if (typeof c.nodeId !== 'string' || !NODE_ID.test(c.nodeId)) throw new OutpostError('invalid_input', `Remote change of ${recordId}: invalid node id.`);
  const deleted = c.op === 'delete';
  const data = deleted ? null : parseData(spec, c.data, recordId);
  return {
    spec,
    recordId,
    deleted,
    data,
    dataJson: data === null ? null : JSON.stringify(data),
    vv: c.vv,
    vvJson: JSON.stringify(c.vv),
    hlc: c.hlc,
    nodeId: c.nodeId,
    seq: Number.isSafeInteger(c.seq) ? c.seq : 0,
  };
}
