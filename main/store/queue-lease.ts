import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { syncedTables, type SyncedTable } from '../../shared/domain/records';
import { OutpostError } from '../../shared/errors';
import { MAX_CLOCK_AHEAD_MS, decodeHlc } from '../../shared/sync/hlc';
import { REFUSAL, refusalErrorPattern } from '../../shared/sync/wire';
import type { StoreCore } from './core';
import type { PendingItems } from './queue-pending';
import { buildChange, type Candidate, type QueueRow } from './queue-rows';
import type { PushedSnapshot, PushedSnapshots } from './queue-snapshots';
import { specOf, tableSpecs } from './tables';
import type { ChangeRef, LeaseOptions, LeaseResult, OutgoingChange, SyncOp } from './types';

/**
 * Leases and their end by release. A lease marks a batch `processing` under one lease id and gives each item
 * the change id it is pushed under (stored in sync_queue.change_id); whatever answers for a leased item later
 * (an ack, a failure, a push conflict, a release) names that change id and counts only while the item is still
 * leased under it.
 */
export class QueueLeases {
  private readonly markLeasedStmt: Database.Statement;
  private readonly rowsStmts: Record<SyncedTable, Database.Statement>;
  private readonly candidatesStmt: Database.Statement;
  private readonly candidatesCriticalStmt: Database.Statement;

  constructor(
    private readonly core: StoreCore,
    private readonly pending: PendingItems,
    private readonly snapshots: PushedSnapshots,
  ) {
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
    this.rowsStmts = Object.fromEntries(syncedTables.map((t) => [t, rowsOf(t)])) as Record<SyncedTable, Database.Statement>;
    // only what leasing reads: the earlier snapshot's clock and op decide whether the change id is kept
    const candidates = (extra: string) =>
      `SELECT id, table_name, record_id, priority, change_id, overrode, data ->> '$.hlc' AS pushed_hlc, data ->> '$.op' AS pushed_op
       FROM sync_queue
       WHERE status = 'pending' AND conflict_id IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ${extra}
       ORDER BY priority DESC, created_at, id LIMIT ?`;
    this.candidatesStmt = this.core.stmt(candidates(''));
    this.candidatesCriticalStmt = this.core.stmt(candidates('AND priority = 10'));
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
      this.snapshots.bound();
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
        const change = buildChange(item, row, this.core.nodeId);
        marks.push([item.id, change.changeId, change.op, change.hlc]);
        this.snapshots.hold(item.id, { op: change.op, data: change.data, vv: change.vv, hlc: change.hlc, nodeId: change.nodeId });
        changes.push(change);
      }
      if (marks.length) {
        this.markLeasedStmt.run(leaseId, leasedUntil, now, JSON.stringify(marks));
        this.core.touch('sync_queue');
      }
      return { leaseId, changes };
    });
  }

  /** The item, if it is still leased (under that change id, when one is named): an answer for it counts. */
  leasedUnder(queueId: number, changeId: string | undefined): QueueRow | undefined {
    const item = this.pending.byId(queueId);
    return item && item.status === 'processing' && (changeId === undefined || item.change_id === changeId) ? item : undefined;
  }

  /** Leased items whose lease ran out (a worker that died or hung) go back to pending. */
  releaseExpired(now: string): number {
    const expired = this.core.stmt(`SELECT * FROM sync_queue WHERE status = 'processing' AND leased_until < ?`).all(now) as QueueRow[];
    for (const item of expired) this.releaseItem(item);
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
      for (const item of items) this.releaseItem(item);
      return items.length;
    });
  }

  /** Exactly the named items back to pending, each only while still leased under the change id named. */
  releaseChanges(refs: readonly ChangeRef[]): number {
    return this.core.write(() => {
      let released = 0;
      for (const ref of refs) {
        const item = this.leasedUnder(ref.queueId, ref.changeId);
        if (!item) continue;
        this.releaseItem(item);
        released++;
      }
      return released;
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

  private releaseItem(item: QueueRow): void {
    this.pending.returnToPending(item, { attempts: item.attempts, nextAttemptAt: item.next_attempt_at, error: item.error_message, keepSnapshot: true });
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
    const pending = this.pending.pendingOf(parentSpec.table, row.parent);
    if (!pending || pending.conflict_id !== null) return undefined;
    const pushed = pending.data ? (JSON.parse(pending.data) as Pick<PushedSnapshot, 'op' | 'hlc'>) : null;
    return { ...pending, pushed_hlc: pushed?.hlc ?? null, pushed_op: pushed?.op ?? null };
  }
}
