import type Database from 'better-sqlite3';
import { syncedTables, type SyncedTable } from '../../shared/domain/records';
import { nowIso, type StoreCore } from './core';
import type { QueueRow } from './queue-rows';
import type { PushedSnapshot, PushedSnapshots } from './queue-snapshots';
import type { Shadows } from './shadow';
import { rowDataSql, specOf, tableSpecs } from './tables';
import type { Ack, ShadowState } from './types';

type Completed = Pick<QueueRow, 'id' | 'table_name' | 'record_id'>;

/**
 * Leased items completing: acked (the hub took the push) or found on the hub already (a push conflict that was
 * our own state). Set-based: one statement completes a batch, one per table writes its shadows from the rows.
 */
export class QueueAcks {
  private readonly ackStmt: Database.Statement;
  private readonly ackShadowStmts: Record<SyncedTable, Database.Statement>;

  constructor(
    private readonly core: StoreCore,
    private readonly shadows: Shadows,
    private readonly snapshots: PushedSnapshots,
  ) {
    // acks arrive as JSON [[queueId, seq, changeId], ...]: one statement completes them all
    this.ackStmt = this.core.stmt(
      `UPDATE sync_queue SET status = 'completed', completed_at = ?, pushed_seq = a.seq, lease_id = NULL, leased_until = NULL,
         next_attempt_at = NULL, error_message = NULL
       FROM (SELECT value ->> 0 AS id, value ->> 1 AS seq, value ->> 2 AS change_id FROM json_each(?)) AS a
       WHERE sync_queue.id = a.id AND sync_queue.status = 'processing' AND sync_queue.data IS NOT NULL
         AND (a.change_id IS NULL OR sync_queue.change_id = a.change_id)
       RETURNING sync_queue.id, sync_queue.table_name, sync_queue.record_id`,
    );
    // Pushed snapshots whose record still holds that write (the usual case): the shadow's data is built from the
    // row by SQLite, the same JSON rowData + JSON.stringify would give. Items as JSON [[recordId, hlc, vvJson], ...].
    const shadowFromRow = (table: SyncedTable) =>
      this.core.stmt(
        `INSERT INTO sync_shadow (table_name, record_id, data, vv, hlc, deleted)
         SELECT '${table}', t.id, CASE WHEN t.deleted = 1 THEN NULL ELSE ${rowDataSql(tableSpecs[table], 't')} END,
                k.value ->> 2, t.hlc, t.deleted
         FROM json_each(?) AS k JOIN ${table} t ON t.id = k.value ->> 0 AND t.hlc = k.value ->> 1 WHERE true
         ON CONFLICT (table_name, record_id) DO UPDATE SET data = excluded.data, vv = excluded.vv, hlc = excluded.hlc, deleted = excluded.deleted
         WHERE excluded.hlc > sync_shadow.hlc
         RETURNING record_id`,
      );
    this.ackShadowStmts = Object.fromEntries(syncedTables.map((t) => [t, shadowFromRow(t)])) as Record<SyncedTable, Database.Statement>;
  }

  /** Pushed and accepted: the item completes, the shadow becomes what was pushed, the row is synced unless
   * written since. Acks of items no longer leased under the change id they name (released, merged, already
   * acked, leased again as another change) are ignored. */
  ack(acks: Ack[]): { acked: number } {
    return this.core.write(() => {
      const now = nowIso();
      // one set-based pass: the first ack of an id counts (a repeated id finds its item completed already)
      const seen = new Set<number>();
      const rows: Array<[number, number | null, string | null]> = [];
      for (const a of acks) {
        if (!Number.isSafeInteger(a.queueId) || seen.has(a.queueId)) continue;
        seen.add(a.queueId);
        rows.push([a.queueId, Number.isSafeInteger(a.seq) ? a.seq : null, a.changeId ?? null]);
      }
      if (rows.length === 0) return { acked: 0 };
      const completed = this.ackStmt.all(now, JSON.stringify(rows)) as Completed[];
      if (completed.length === 0) return { acked: 0 };
      completed.sort((x, y) => x.id - y.id);
      const ids = JSON.stringify(completed.map((c) => c.id));
      // the shadow becomes exactly what each item pushed (its snapshot), newest clock first-come
      this.advanceShadowsToPushed(completed);
      const done = new Map<string, number>(); // record key -> highest completed item id
      const tables = new Set<SyncedTable>();
      for (const item of completed) {
        tables.add(item.table_name);
        this.core.touch(item.table_name, item.record_id);
        const key = `${item.table_name}\u0000${item.record_id}`;
        done.set(key, Math.max(done.get(key) ?? 0, item.id));
      }
      for (const table of tables) this.ackRowsStmt(table).run(now, ids);
      this.core.touch('sync_queue');
      this.supersedeFailed(done, now);
      return { acked: completed.length };
    });
  }

  /** Completes one leased item whose state is on the hub (a push conflict that turned out to be our own state). */
  complete(item: QueueRow, seq: number | null, onHub: ShadowState, rowHlc: string, now: string): void {
    this.snapshots.drop(item.id);
    this.core
      .stmt(
        `UPDATE sync_queue SET status = 'completed', completed_at = ?, pushed_seq = ?, lease_id = NULL, leased_until = NULL,
           next_attempt_at = NULL, error_message = NULL WHERE id = ?`,
      )
      .run(now, seq !== null && Number.isSafeInteger(seq) ? seq : null, item.id);
    this.afterComplete(item.table_name, item.record_id, onHub, rowHlc, now);
    this.supersedeFailed(new Map([[`${item.table_name}\u0000${item.record_id}`, item.id]]), now);
  }

  /**
   * The shadows of acked items become exactly what each pushed. Leases end with the process that took them, so
   * a snapshot is always held; without one the shadow stays where it was (a later push builds on it, and the
   * hub's answer moves it on).
   */
  private advanceShadowsToPushed(completed: Completed[]): void {
    const byTable = new Map<SyncedTable, Array<[string, string, string]>>();
    const snapshots: Array<{ table: SyncedTable; recordId: string; snapshot: PushedSnapshot }> = [];
    for (const item of completed) {
      const snapshot = this.snapshots.take(item.id);
      if (!snapshot) continue;
      snapshots.push({ table: item.table_name, recordId: item.record_id, snapshot });
      const list = byTable.get(item.table_name) ?? [];
      list.push([item.record_id, snapshot.hlc, JSON.stringify(snapshot.vv)]);
      byTable.set(item.table_name, list);
    }
    const fromRow = new Set<string>();
    for (const [table, list] of byTable) {
      for (const r of this.ackShadowStmts[table].all(JSON.stringify(list)) as Array<{ record_id: string }>) fromRow.add(`${table}\u0000${r.record_id}`);
    }
    // written since the lease (or the shadow already newer): the snapshot itself, one by one (newest clock wins)
    for (const { table, recordId, snapshot } of snapshots) {
      if (fromRow.has(`${table}\u0000${recordId}`)) continue;
      this.shadows.advance(table, recordId, { data: snapshot.op === 'delete' ? null : snapshot.data, vv: snapshot.vv, hlc: snapshot.hlc, deleted: snapshot.op === 'delete' });
    }
  }

  /** Rows still holding the write an acked item pushed become synced, unless a newer change of theirs is pending. */
  private ackRowsStmt(table: SyncedTable): Database.Statement {
    const name = specOf(table).table;
    return this.core.stmt(
      `UPDATE ${name} SET sync_status = 'synced', last_sync = ?
       FROM (SELECT record_id, data ->> '$.hlc' AS hlc FROM sync_queue
             WHERE id IN (SELECT value FROM json_each(?)) AND table_name = '${name}') AS q
       WHERE ${name}.id = q.record_id AND ${name}.hlc = q.hlc AND ${name}.sync_status IN ('pending', 'error')
         AND NOT EXISTS (SELECT 1 FROM sync_queue p WHERE p.table_name = '${name}' AND p.record_id = ${name}.id AND p.status = 'pending')`,
    );
  }

  /** Older failed items of records that just synced are superseded: what was pushed is the record's whole state. */
  private supersedeFailed(done: Map<string, number>, now: string): void {
    const failed = this.core.stmt(`SELECT id, table_name, record_id FROM sync_queue WHERE status = 'failed'`).all() as Completed[];
    const stmt = this.core.stmt(`UPDATE sync_queue SET status = 'completed', completed_at = ?, error_message = 'superseded by a later change that synced' WHERE id = ?`);
    for (const f of failed) {
      const newest = done.get(`${f.table_name}\u0000${f.record_id}`);
      if (newest !== undefined && f.id < newest) stmt.run(now, f.id);
    }
  }

  /** The shadow advances to what the hub has; the row is synced if it still holds that write and nothing newer is pending. */
  private afterComplete(table: SyncedTable, recordId: string, onHub: ShadowState, rowHlc: string, now: string): void {
    this.shadows.advance(table, recordId, onHub);
    this.core
      .stmt(
        `UPDATE ${specOf(table).table} SET sync_status = 'synced', last_sync = ?
         WHERE id = ? AND hlc = ? AND sync_status IN ('pending', 'error')
           AND NOT EXISTS (SELECT 1 FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending')`,
      )
      .run(now, recordId, rowHlc, table, recordId);
    this.core.touch(table, recordId);
    this.core.touch('sync_queue');
  }
}
