import { syncedTables, type SyncedTable } from '../../shared/tables/index';
import { statSync } from 'node:fs';
import { queueStatuses, type QueueStatus } from '../../shared/domain/queue';
import { OutpostError } from '../../shared/errors';
import { EDITS_REPLACED_SQL } from './conflicts';
import type { StoreCore } from './core';
import type { MaintenanceReport, StoreStats } from './types';

const DAY_MS = 86_400_000;
export const QUEUE_RETENTION_MS = 7 * DAY_MS;
export const CONFLICT_RETENTION_MS = 30 * DAY_MS;
const STORAGE_CHECK_EVERY_MS = 1000;

/**
 * Statistics, the maintenance job and the storage limit (settings storage.limitBytes and storage.policy):
 * - warn: the write goes through; the log says so once per crossing and stats flag it;
 * - error: new local writes are refused with `storage_full` (pulls still apply: refusing them would only
 *   make the node fall further behind, and they replace rows more than they add);
 * - prune: completed queue items and resolved conflicts are pruned whatever their age and freed pages
 *   returned to the file system; if that is not enough the write still goes through, flagged as in warn.
 */
export class Maintenance {
  private lastCheck = 0;
  private overLimit = false;

  constructor(private readonly core: StoreCore) {}

  databaseBytes(): number {
    const pageSize = this.core.db.pragma('page_size', { simple: true }) as number;
    const pages = this.core.db.pragma('page_count', { simple: true }) as number;
    const wal = statSync(`${this.core.path}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    return pageSize * pages + wal;
  }

  /** Called before every local write; measures at most once a second. */
  guardStorage(): void {
    const now = Date.now();
    if (now - this.lastCheck < STORAGE_CHECK_EVERY_MS && !this.overLimit) return;
    this.lastCheck = now;
    const { limitBytes, policy } = this.core.settings().storage;
    if (limitBytes === null) {
      this.overLimit = false;
      return;
    }
    let size = this.databaseBytes();
    if (size > limitBytes && policy === 'prune') {
      this.pruneHistory(Date.now());
      size = this.databaseBytes();
    }
    const wasOver = this.overLimit;
    this.overLimit = size > limitBytes;
    if (!this.overLimit) return;
    if (policy === 'error') {
      throw new OutpostError(
        'storage_full',
        `The edge database uses ${mib(size)} MiB, over the storage limit of ${mib(limitBytes)} MiB (storage.policy "error"): ` +
          'sync and let maintenance prune history, delete records, or raise storage.limitBytes.',
      );
    }
    if (!wasOver) this.core.log?.warn('edge database over its storage limit', { bytes: size, limitBytes, policy });
  }

  isOverLimit(): boolean {
    return this.overLimit;
  }

  /** ANALYZE where useful, prune old history, return free pages to the file system. */
  maintain(now = Date.now()): MaintenanceReport {
    const pagesBefore = this.core.db.pragma('page_count', { simple: true }) as number;
    const pruned = this.pruneHistory(now - QUEUE_RETENTION_MS, now - CONFLICT_RETENTION_MS);
    this.core.db.pragma('incremental_vacuum');
    const pagesAfter = this.core.db.pragma('page_count', { simple: true }) as number;
    this.core.db.pragma('optimize');
    this.core.db.pragma('wal_checkpoint(PASSIVE)');
    this.lastCheck = 0;
    return { prunedQueueItems: pruned.queue, prunedConflicts: pruned.conflicts, freedPages: Math.max(0, pagesBefore - pagesAfter), databaseBytes: this.databaseBytes() };
  }

  /** Deletes completed queue items older than `queueBefore` and resolved conflicts older than `conflictsBefore`. */
  pruneHistory(queueBefore: number, conflictsBefore = queueBefore): { queue: number; conflicts: number } {
    const result = this.core.write(() => {
      const queue = this.core
        .stmt(`DELETE FROM sync_queue WHERE status = 'completed' AND completed_at < ?`)
        .run(new Date(queueBefore).toISOString()).changes;
      // a resolved conflict never blocks a queue item (resolving clears conflict_id), so it can go
      const conflicts = this.core
        .stmt(`DELETE FROM conflict_resolution WHERE status = 'resolved' AND resolved_at < ?`)
        .run(new Date(conflictsBefore).toISOString()).changes;
      if (queue) this.core.touch('sync_queue');
      if (conflicts) this.core.touch('conflict_resolution');
      return { queue, conflicts };
    });
    if (result.queue || result.conflicts) this.core.db.pragma('incremental_vacuum');
    return result;
  }

  stats(): StoreStats {
    // one count per status, each an index-only scan of its partial index (never the whole history)
    const byStatus = Object.fromEntries(
      queueStatuses.map((st) => [st, (this.core.stmt(`SELECT count(*) AS n FROM sync_queue WHERE status = '${st}'`).get() as { n: number }).n]),
    ) as Record<QueueStatus, number>;
    const perPriority = new Map<number, number>();
    for (const st of ['pending', 'processing'] as const) {
      for (const r of this.core.stmt(`SELECT priority, count(*) AS n FROM sync_queue WHERE status = '${st}' GROUP BY priority`).all() as Array<{ priority: number; n: number }>) {
        perPriority.set(r.priority, (perPriority.get(r.priority) ?? 0) + r.n);
      }
    }
    const byPriority = [...perPriority].sort((x, y) => y[0] - x[0]).map(([priority, count]) => ({ priority, count }));
    // the oldest pending item: the first entry of each priority in the (priority, created_at) index
    const oldestStmt = this.core.stmt(`SELECT created_at AS t FROM sync_queue WHERE status = 'pending' AND priority = ? ORDER BY created_at LIMIT 1`);
    let oldest: string | null = null;
    for (const p of perPriority.keys()) {
      const t = (oldestStmt.get(p) as { t: string } | undefined)?.t;
      if (t !== undefined && (oldest === null || t < oldest)) oldest = t;
    }
    const count = (table: string) => (this.core.stmt(`SELECT count(*) AS n FROM ${table} WHERE deleted = 0`).get() as { n: number }).n;
    const conflictsByStatus = { pending: 0, resolved: 0, escalated: 0 };
    for (const r of this.core.stmt('SELECT status, count(*) AS n FROM conflict_resolution GROUP BY status').all() as Array<{
      status: keyof typeof conflictsByStatus;
      n: number;
    }>) {
      conflictsByStatus[r.status] = r.n;
    }
    const editsReplaced = (this.core.stmt(`SELECT count(*) AS n FROM conflict_resolution WHERE ${EDITS_REPLACED_SQL}`).get() as { n: number }).n;
    const { limitBytes, policy } = this.core.settings().storage;
    const databaseBytes = this.databaseBytes();
    return {
      byStatus,
      byPriority,
      oldestPendingAgeMs: oldest === null ? null : Math.max(0, Date.now() - Date.parse(oldest)),
      records: Object.fromEntries(syncedTables.map((t) => [t, count(t)])) as Record<SyncedTable, number>,
      conflictsByStatus,
      editsReplaced,
      databaseBytes,
      storage: { limitBytes, policy, overLimit: limitBytes !== null && databaseBytes > limitBytes },
    };
  }
}

const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(1);
