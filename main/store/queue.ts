import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { JsonObject, SyncedTable, VersionVector } from '../../shared/domain/records';
import { queueStatuses, type QueueItem, type QueueOperation } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { MAX_CLOCK_AHEAD_MS, decodeHlc } from '../../shared/sync/hlc';
import { REFUSAL, refusalErrorPattern } from '../../shared/sync/wire';
import { nowIso, paging, type StoreCore } from './core';
import type { Shadows } from './shadow';
import { rowDataSql, specOf, tableSpecs } from './tables';
import { buildChange, combineOps, joinOverrode, toQueueItem, type Candidate, type QueueRow } from './queue-rows';
import type { Ack, Failure, ShadowState, LeaseOptions, LeaseResult, OutgoingChange, Page, QueueListQuery, SyncOp } from './types';

/**
 * What a leased item pushed, held in memory from lease to ack so the ack records exactly that as the shadow (the
 * row may have changed meanwhile). Only its identity (op, hlc) goes to sync_queue.data: writing the whole state
 * into every leased queue row grew each row by its record's size and cost more than the rest of the lease.
 * Leases never outlive the process (the store releases them all at open), so neither do snapshots.
 */
interface PushedSnapshot {
  op: SyncOp;
  data: JsonObject | null;
  vv: VersionVector;
  hlc: string;
  nodeId: string;
}

/** Past this many held snapshots, leasing drops those whose items are no longer leased (a bound, not a cache). */
const MAX_HELD_SNAPSHOTS = 50_000;

/**
 * The durable outgoing queue. Queue rows hold identity, operation and priority only; the change itself is
 * built from the record's current row at lease time, so repeated writes coalesce into one pending item with a
 * single upsert. At most one item per record is `pending` (a partial unique index enforces it); a record whose
 * item is leased (`processing`) gets a new pending item for writes made meanwhile.
 *
 * Coalescing rules (earlier + later): INSERT+UPDATE = INSERT, UPDATE+DELETE = DELETE, INSERT+DELETE = DELETE:
 * a record created and deleted before it ever synced is still sent, as a delete, so every node (and the hub)
 * learns its id is a tombstone and a late copy of it can never resurrect it. Priority is the max of both.
 */
export class SyncQueue {
  /** by queue id: the state each leased item pushed (see PushedSnapshot) */
  private readonly pushed = new Map<number, PushedSnapshot>();
  private readonly enqueueStmt: Database.Statement;
  private readonly pendingOfStmt: Database.Statement;
  private readonly byIdStmt: Database.Statement;
  private readonly markLeasedStmt: Database.Statement;
  private readonly rowsStmts: Record<SyncedTable, Database.Statement>;
  private readonly candidatesStmt: Database.Statement;
  private readonly candidatesCriticalStmt: Database.Statement;
  private readonly conflictOfRecordStmt: Database.Statement;
  private readonly ackStmt: Database.Statement;
  private readonly ackShadowStmts: Record<SyncedTable, Database.Statement>;

  constructor(
    private readonly core: StoreCore,
    private readonly shadows: Shadows,
  ) {
    this.enqueueStmt = this.core.stmt(
      `INSERT INTO sync_queue (table_name, record_id, operation, priority, max_attempts, created_at, conflict_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (table_name, record_id) WHERE status = 'pending' DO UPDATE SET
         priority = max(priority, excluded.priority),
         operation = CASE WHEN excluded.operation = 'DELETE' THEN 'DELETE'
                          WHEN operation = 'INSERT' AND excluded.operation = 'UPDATE' THEN 'INSERT'
                          ELSE excluded.operation END,
         conflict_id = coalesce(conflict_id, excluded.conflict_id)`,
    );
    this.pendingOfStmt = this.core.stmt(`SELECT * FROM sync_queue WHERE table_name = ? AND record_id = ? AND status = 'pending'`);
    this.byIdStmt = this.core.stmt('SELECT * FROM sync_queue WHERE id = ?');
    // marks arrive as JSON [[queueId, changeId, op, hlc], ...]: one statement leases the whole batch
    this.markLeasedStmt = this.core.stmt(
      `UPDATE sync_queue SET status = 'processing', lease_id = ?, leased_until = ?, last_attempt = ?, change_id = m.value ->> 1,
         data = json_object('op', m.value ->> 2, 'hlc', m.value ->> 3)
       FROM json_each(?) AS m WHERE sync_queue.id = m.value ->> 0`,
    );
    // a batch's records with their shadows, one statement per table (a statement per item cost more than the read)
    const rowsOf = (table: SyncedTable) =>
      this.core.stmt(
        `SELECT t.*, s.data AS shadow_data, s.vv AS shadow_vv FROM json_each(?) AS k
         JOIN ${table} t ON t.id = k.value
         LEFT JOIN sync_shadow s ON s.table_name = '${table}' AND s.record_id = t.id`,
      );
    this.rowsStmts = { agents: rowsOf('agents'), workflows: rowsOf('workflows'), executions: rowsOf('executions') };
    // only what leasing reads: the earlier snapshot's clock and op decide whether the change id is kept
    const candidates = (extra: string) =>
      `SELECT id, table_name, record_id, priority, change_id, overrode, data ->> '$.hlc' AS pushed_hlc, data ->> '$.op' AS pushed_op
       FROM sync_queue
       WHERE status = 'pending' AND conflict_id IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ${extra}
       ORDER BY priority DESC, created_at, id LIMIT ?`;
    this.candidatesStmt = this.core.stmt(candidates(''));
    this.candidatesCriticalStmt = this.core.stmt(candidates('AND priority = 10'));
    this.conflictOfRecordStmt = this.core.stmt(
      `SELECT id FROM conflict_resolution WHERE table_name = ? AND record_id = ? AND status IN ('pending', 'escalated') ORDER BY id DESC LIMIT 1`,
    );
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
    this.ackShadowStmts = { agents: shadowFromRow('agents'), workflows: shadowFromRow('workflows'), executions: shadowFromRow('executions') };
  }

  /** Records a local change of a record in the same transaction as the write (coalescing into its pending item). */
  enqueue(table: SyncedTable, recordId: string, op: QueueOperation, priority: number, blocked: boolean, now: string): void {
    const conflictId = blocked ? ((this.conflictOfRecordStmt.get(table, recordId) as { id: number } | undefined)?.id ?? null) : null;
    this.enqueueStmt.run(table, recordId, op, priority, this.core.settings().sync.maxAttempts, now, conflictId);
    this.core.touch('sync_queue');
  }

  pendingOf(table: SyncedTable, recordId: string): QueueRow | undefined {
    return this.pendingOfStmt.get(table, recordId) as QueueRow | undefined;
  }

  byId(id: number): QueueRow | undefined {
    return this.byIdStmt.get(id) as QueueRow | undefined;
  }

  /**
   * Puts an item (leased or failed) back to pending. When the record already has a newer pending item, the two
   * merge into that one (operations combined, max priority, the older age) so there is still one per record.
   * Returns the id of the pending item.
   */
  returnToPending(
    item: QueueRow,
    fields: { attempts: number; nextAttemptAt: string | null; error: string | null; conflictId?: number | null; keepSnapshot: boolean },
  ): number {
    const pending = this.pendingOf(item.table_name, item.record_id);
    // an item of a record with an open conflict stays blocked whichever way it comes back
    const conflictId =
      fields.conflictId ?? ((this.conflictOfRecordStmt.get(item.table_name, item.record_id) as { id: number } | undefined)?.id ?? null);
    this.pushed.delete(item.id);
    if (pending && pending.id !== item.id) {
      this.core
        .stmt(
          `UPDATE sync_queue SET operation = ?, priority = max(priority, ?), created_at = min(created_at, ?), attempts = ?,
             next_attempt_at = ?, error_message = ?, conflict_id = coalesce(?, conflict_id), overrode = ? WHERE id = ?`,
        )
        .run(
          combineOps(item.operation, pending.operation),
          item.priority,
          item.created_at,
          fields.attempts,
          fields.nextAttemptAt,
          fields.error,
          conflictId,
          joinOverrode(item.overrode, pending.overrode),
          pending.id,
        );
      this.core.stmt('DELETE FROM sync_queue WHERE id = ?').run(item.id);
      this.core.touch('sync_queue');
      return pending.id;
    }
    this.core
      .stmt(
        `UPDATE sync_queue SET status = 'pending', lease_id = NULL, leased_until = NULL, attempts = ?, next_attempt_at = ?,
           error_message = ?, conflict_id = coalesce(?, conflict_id),
           change_id = CASE WHEN ? THEN change_id ELSE NULL END, data = CASE WHEN ? THEN data ELSE NULL END
         WHERE id = ?`,
      )
      .run(fields.attempts, fields.nextAttemptAt, fields.error, conflictId, fields.keepSnapshot ? 1 : 0, fields.keepSnapshot ? 1 : 0, item.id);
    this.core.touch('sync_queue');
    return item.id;
  }

  /** Leased items whose lease ran out (a worker that died or hung) go back to pending. */
  releaseExpired(now: string): number {
    const expired = this.core
      .stmt(`SELECT * FROM sync_queue WHERE status = 'processing' AND leased_until < ?`)
      .all(now) as QueueRow[];
    for (const item of expired) this.returnToPending(item, { attempts: item.attempts, nextAttemptAt: item.next_attempt_at, error: item.error_message, keepSnapshot: true });
    return expired.length;
  }

  /** Leased items back to pending: all of them, or one lease's. The pushed snapshot and change id are kept so a
   * re-push of an unchanged record is recognised by the hub as a duplicate. */
  release(leaseId?: string): number {
    return this.core.write(() => {
      const items = (
        leaseId === undefined
          ? this.core.stmt(`SELECT * FROM sync_queue WHERE status = 'processing'`).all()
          : this.core.stmt(`SELECT * FROM sync_queue WHERE status = 'processing' AND lease_id = ?`).all(leaseId)
      ) as QueueRow[];
      for (const item of items) {
        this.returnToPending(item, { attempts: item.attempts, nextAttemptAt: item.next_attempt_at, error: item.error_message, keepSnapshot: true });
      }
      return items.length;
    });
  }

  /**
   * Changes held back because the hub found this node's clock ahead (worker/sync-cycle.ts keeps them pending with
   * a retry wait and the refusal as their error) go at the next sync: called at open, since a restart is how a
   * corrected clock usually arrives, and a held write should not wait out a timer set by the wrong clock.
   */
  releaseClockHolds(): number {
    return this.core
      .stmt(`UPDATE sync_queue SET next_attempt_at = NULL WHERE status = 'pending' AND next_attempt_at IS NOT NULL AND error_message LIKE ? ESCAPE '\\'`)
      .run(refusalErrorPattern(REFUSAL.clockAhead)).changes;
  }

  lease(options: LeaseOptions): LeaseResult {
    const limit = Math.trunc(options.limit);
    const leaseMs = Math.trunc(options.leaseMs);
    if (!(limit >= 1 && limit <= 10_000)) throw new OutpostError('invalid_input', 'lease limit must be between 1 and 10000.');
    if (!(leaseMs >= 1 && leaseMs <= 86_400_000)) throw new OutpostError('invalid_input', 'leaseMs must be between 1 ms and 24 h.');
    return this.core.write(() => {
      const nowMs = Date.now();
      const now = new Date(nowMs).toISOString();
      this.releaseExpired(now);
      const stmt = options.criticalOnly ? this.candidatesCriticalStmt : this.candidatesStmt;
      if (this.pushed.size > MAX_HELD_SNAPSHOTS) this.forgetStaleSnapshots();
      const candidates = stmt.all(now, limit) as Candidate[];
      const ordered = this.inDependencyOrder(candidates, limit);
      const rows = this.rowsOf(ordered);
      const leaseId = randomUUID();
      const leasedUntil = new Date(nowMs + leaseMs).toISOString();
      const changes: OutgoingChange[] = [];
      const marks: Array<[number, string, SyncOp, string]> = [];
      for (const item of ordered) {
        const row = rows.get(item.table_name)?.get(item.record_id);
        if (!row) {
          // rows are never hard-deleted, so this is damage from outside the app: keep the item visible, never push it
          this.core
            .stmt(`UPDATE sync_queue SET status = 'failed', error_message = ? WHERE id = ?`)
            .run('The record no longer exists in the local database; nothing to send.', item.id);
          continue;
        }
        if (decodeHlc(row.hlc as string).wallMs > nowMs + MAX_CLOCK_AHEAD_MS) row.hlc = this.restamp(item, row.hlc as string);
        const change = buildChange(item, row);
        marks.push([item.id, change.changeId, change.op, change.hlc]);
        this.pushed.set(item.id, { op: change.op, data: change.data, vv: change.vv, hlc: change.hlc, nodeId: change.nodeId });
        changes.push(change);
      }
      if (marks.length) {
        this.markLeasedStmt.run(leaseId, leasedUntil, now, JSON.stringify(marks));
        this.core.touch('sync_queue');
      }
      return { leaseId, changes };
    });
  }

  /**
   * A change stamped further ahead than the hub accepts was written while this node's clock ran ahead, and the
   * clock has been set right since (else the stamp would not be ahead of it): the write's real time is unknown,
   * so it takes the corrected clock's now rather than waiting hours for the wall clock to catch up with it.
   */
  private restamp(item: Candidate, stamp: string): string {
    const fresh = this.core.clock.tick();
    this.core.stmt(`UPDATE ${specOf(item.table_name).table} SET hlc = ? WHERE id = ? AND hlc = ?`).run(fresh, item.record_id, stamp);
    this.core.log?.info('re-stamped a change written while the clock ran ahead', { table: item.table_name, recordId: item.record_id, was: stamp, now: fresh });
    return fresh;
  }

  /** Snapshots of items no longer leased (their lease ended by a path that did not go through this class). */
  private forgetStaleSnapshots(): void {
    const leased = new Set((this.core.stmt(`SELECT id FROM sync_queue WHERE status = 'processing'`).all() as Array<{ id: number }>).map((r) => r.id));
    for (const id of this.pushed.keys()) if (!leased.has(id)) this.pushed.delete(id);
  }

  /** The leased items' records with their shadows, by table and id. */
  private rowsOf(items: Candidate[]): Map<SyncedTable, Map<string, Record<string, unknown>>> {
    const ids = new Map<SyncedTable, string[]>();
    for (const item of items) {
      const list = ids.get(item.table_name);
      if (list) list.push(item.record_id);
      else ids.set(item.table_name, [item.record_id]);
    }
    const out = new Map<SyncedTable, Map<string, Record<string, unknown>>>();
    for (const [table, list] of ids) {
      const rows = this.rowsStmts[table].all(JSON.stringify(list)) as Array<Record<string, unknown>>;
      out.set(table, new Map(rows.map((r) => [r.id as string, r])));
    }
    return out;
  }

  /**
   * Candidates in priority/age order, each preceded by the pending items of the records it depends on (its
   * workflow, that workflow's agent) so a hub and the other nodes never see a child before its parent.
   */
  private inDependencyOrder(candidates: Candidate[], limit: number): Candidate[] {
    const out: Candidate[] = [];
    const taken = new Set<number>();
    for (const item of candidates) {
      if (taken.has(item.id)) continue;
      const chain = [item];
      for (let current = item; ; ) {
        const parent = this.pendingParentOf(current);
        if (!parent || taken.has(parent.id) || chain.some((c) => c.id === parent.id)) break;
        chain.unshift(parent);
        current = parent;
      }
      if (out.length > 0 && out.length + chain.length > limit) break;
      for (const c of chain) {
        out.push(c);
        taken.add(c.id);
      }
      if (out.length >= limit) break;
    }
    return out;
  }

  private pendingParentOf(item: Candidate): Candidate | undefined {
    const parentSpec = tableSpecs[item.table_name].parent;
    if (!parentSpec) return undefined;
    const row = this.core.stmt(`SELECT ${parentSpec.column} AS parent FROM ${item.table_name} WHERE id = ?`).get(item.record_id) as
      | { parent: string | null }
      | undefined;
    if (!row?.parent) return undefined;
    const pending = this.pendingOf(parentSpec.table, row.parent);
    if (!pending || pending.conflict_id !== null) return undefined;
    const pushed = pending.data ? (JSON.parse(pending.data) as Pick<PushedSnapshot, 'op' | 'hlc'>) : null;
    return { ...pending, pushed_hlc: pushed?.hlc ?? null, pushed_op: pushed?.op ?? null };
  }

  /** Pushed and accepted: the item completes, the shadow becomes what was pushed, the row is synced unless
   * written since. Acks of items no longer leased (released, merged, already acked) are ignored. */
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
      const completed = this.ackStmt.all(now, JSON.stringify(rows)) as Array<Pick<QueueRow, 'id' | 'table_name' | 'record_id'>>;
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

  /**
   * The shadows of acked items become exactly what each pushed. Leases end with the process that took them, so
   * a snapshot is always held; without one the shadow stays where it was (a later push builds on it, and the
   * hub's answer moves it on).
   */
  private advanceShadowsToPushed(completed: Array<Pick<QueueRow, 'id' | 'table_name' | 'record_id'>>): void {
    const byTable = new Map<SyncedTable, Array<[string, string, string]>>();
    const snapshots: Array<{ table: SyncedTable; recordId: string; snapshot: PushedSnapshot }> = [];
    for (const item of completed) {
      const snapshot = this.pushed.get(item.id);
      this.pushed.delete(item.id);
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
    const failed = this.core.stmt(`SELECT id, table_name, record_id FROM sync_queue WHERE status = 'failed'`).all() as Array<
      Pick<QueueRow, 'id' | 'table_name' | 'record_id'>
    >;
    const stmt = this.core.stmt(`UPDATE sync_queue SET status = 'completed', completed_at = ?, error_message = 'superseded by a later change that synced' WHERE id = ?`);
    for (const f of failed) {
      const newest = done.get(`${f.table_name}\u0000${f.record_id}`);
      if (newest !== undefined && f.id < newest) stmt.run(now, f.id);
    }
  }

  /** Completes one leased item whose state is on the hub (a push conflict that turned out to be our own state). */
  complete(item: QueueRow, seq: number | null, onHub: ShadowState, rowHlc: string, now: string): void {
    this.pushed.delete(item.id);
    this.core
      .stmt(
        `UPDATE sync_queue SET status = 'completed', completed_at = ?, pushed_seq = ?, lease_id = NULL, leased_until = NULL,
           next_attempt_at = NULL, error_message = NULL WHERE id = ?`,
      )
      .run(now, seq !== null && Number.isSafeInteger(seq) ? seq : null, item.id);
    this.afterComplete(item.table_name, item.record_id, onHub, rowHlc, now);
    this.supersedeFailed(new Map([[`${item.table_name}\u0000${item.record_id}`, item.id]]), now);
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

  /** A push that failed: retried later (next_attempt_at), or `failed` with its error once attempts reach
   * sync.maxAttempts (or at once when the failure is permanent). */
  fail(failures: Failure[]): { retrying: number; failed: number } {
    return this.core.write(() => {
      const maxAttempts = this.core.settings().sync.maxAttempts;
      const now = nowIso();
      let retrying = 0;
      let failed = 0;
      for (const f of failures) {
        const item = this.byId(f.queueId);
        if (!item || item.status !== 'processing') continue;
        const attempts = item.attempts + (f.countAttempt === false ? 0 : 1);
        const error = String(f.error ?? 'unknown error').slice(0, 2000);
        if (f.permanent || attempts >= maxAttempts) {
          this.pushed.delete(item.id);
          this.core
            .stmt(
              `UPDATE sync_queue SET status = 'failed', attempts = ?, max_attempts = ?, error_message = ?, lease_id = NULL,
                 leased_until = NULL, next_attempt_at = NULL, last_attempt = ? WHERE id = ?`,
            )
            .run(attempts, maxAttempts, error, now, item.id);
          this.core.stmt(`UPDATE ${specOf(item.table_name).table} SET sync_status = 'error' WHERE id = ? AND sync_status = 'pending'`).run(item.record_id);
          this.core.touch(item.table_name, item.record_id);
          failed++;
        } else {
          const retryAt = f.retryAt instanceof Date && !Number.isNaN(f.retryAt.getTime()) ? f.retryAt.toISOString() : null;
          this.returnToPending(item, { attempts, nextAttemptAt: retryAt, error, keepSnapshot: true });
          retrying++;
        }
        this.core.touch('sync_queue');
      }
      return { retrying, failed };
    });
  }

  /** Failed items (all, or the given ids) back to pending with their attempts reset. */
  retry(ids?: number[]): { retried: number } {
    return this.core.write(() => {
      const items = (
        ids === undefined
          ? this.core.stmt(`SELECT * FROM sync_queue WHERE status = 'failed'`).all()
          : ids.map((id) => this.byId(id)).filter((i): i is QueueRow => i !== undefined && i.status === 'failed')
      ) as QueueRow[];
      for (const item of items) {
        this.returnToPending(item, { attempts: 0, nextAttemptAt: null, error: null, keepSnapshot: false });
        this.core.stmt(`UPDATE ${specOf(item.table_name).table} SET sync_status = 'pending' WHERE id = ? AND sync_status = 'error'`).run(item.record_id);
        this.core.touch(item.table_name, item.record_id);
      }
      return { retried: items.length };
    });
  }

  list(query: QueueListQuery = {}): Page<QueueItem> {
    const { offset, limit } = paging(query.offset, query.limit);
    const status = query.status;
    if (status !== undefined && !queueStatuses.includes(status)) {
      throw new OutpostError('invalid_input', `Unknown queue status ${JSON.stringify(String(status))}: expected ${queueStatuses.join(', ')}.`);
    }
    const where = status ? 'WHERE status = ?' : '';
    const order = status === 'pending' || status === 'processing' ? 'priority DESC, created_at, id' : 'id DESC';
    const params = status ? [status] : [];
    const rows = this.core.stmt(`SELECT * FROM sync_queue ${where} ORDER BY ${order} LIMIT ? OFFSET ?`).all(...params, limit, offset) as QueueRow[];
    const total = (this.core.stmt(`SELECT count(*) AS n FROM sync_queue ${where}`).get(...params) as { n: number }).n;
    return { items: rows.map(toQueueItem), total, offset, limit };
  }
}
