import { nowIso, type StoreCore } from './core';
import type { QueueLeases } from './queue-lease';
import type { PendingItems } from './queue-pending';
import type { QueueRow } from './queue-rows';
import type { PushedSnapshots } from './queue-snapshots';
import { specOf } from './tables';
import type { Failure } from './types';

/** Pushes that failed (retried later, or `failed` for good) and failed items brought back by a person. */
export class QueueFailures {
  constructor(
    private readonly core: StoreCore,
    private readonly pending: PendingItems,
    private readonly leases: QueueLeases,
    private readonly snapshots: PushedSnapshots,
  ) {}

  /** A push that failed: retried later (next_attempt_at), or `failed` with its error once attempts reach
   * sync.maxAttempts (or at once when the failure is permanent). Failures of items no longer leased under the
   * change id they name are ignored. */
  fail(failures: Failure[]): { retrying: number; failed: number } {
    return this.core.write(() => {
      const maxAttempts = this.core.settings().sync.maxAttempts;
      const now = nowIso();
      let retrying = 0;
      let failed = 0;
      for (const f of failures) {
        const item = this.leases.leasedUnder(f.queueId, f.changeId);
        if (!item) continue;
        const attempts = item.attempts + (f.countAttempt === false ? 0 : 1);
        const error = String(f.error ?? 'unknown error').slice(0, 2000);
        if (f.permanent || attempts >= maxAttempts) {
          this.snapshots.drop(item.id);
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
          this.pending.returnToPending(item, { attempts, nextAttemptAt: retryAt, error, keepSnapshot: true });
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
          : ids.map((id) => this.pending.byId(id)).filter((i): i is QueueRow => i !== undefined && i.status === 'failed')
      ) as QueueRow[];
      for (const item of items) {
        this.pending.returnToPending(item, { attempts: 0, nextAttemptAt: null, error: null, keepSnapshot: false });
        this.core.stmt(`UPDATE ${specOf(item.table_name).table} SET sync_status = 'pending' WHERE id = ? AND sync_status = 'error'`).run(item.record_id);
        this.core.touch(item.table_name, item.record_id);
      }
      return { retried: items.length };
    });
  }
}
