import type { Settings } from '../../shared/domain/settings';
import { resolveConflict, tableMergeSettings } from '../../shared/merge/index';
import type { Logger } from '../../lib/log';
import type { RecordConflictStore } from './ports';
import { toConflictInput } from './views';

export interface AutoResolveReport {
  resolved: number;
  manual: number;
  failed: number;
}

/**
 * Runs after a pull recorded conflicts (the sync engine calls `onConflictsRecorded` with the store's conflict
 * ids). Each pending conflict is decided by the table's strategy (shared/merge); a decision that is automatic
 * (confident enough) is written through the store as a resolution recorded with its strategy, its confidence
 * and the data it replaced, so a person can review and undo it. The rest stay pending for the review window.
 * A conflict whose resolution fails (e.g. the merged record does not validate) stays pending: nothing is lost.
 */
export class AutoResolver {
  constructor(
    private readonly deps: {
      store: RecordConflictStore;
      settings: () => Settings;
      log: Logger;
      /** called once per batch, after the writes: the service re-counts pending conflicts and emits the event */
      afterBatch?: () => void | Promise<unknown>;
    },
  ) {}

  async onConflictsRecorded(ids: readonly number[]): Promise<AutoResolveReport> {
    const report = this.resolveAll(ids);
    try {
      await this.deps.afterBatch?.();
    } catch (error) {
      this.deps.log.warn('conflict count refresh failed', { error });
    }
    return report;
  }

  /**
   * The synchronous part: decide and write every conflict of the batch, in one store transaction when the store
   * offers one (one commit for the batch; a conflict whose write fails rolls back to its own savepoint only).
   */
  resolveAll(ids: readonly number[]): AutoResolveReport {
    const run = () => this.resolveEach(ids);
    const report = this.deps.store.batch ? this.deps.store.batch(run) : run();
    if (report.resolved || report.failed) this.deps.log.info('conflicts auto-resolved', { ...report });
    return report;
  }

  private resolveEach(ids: readonly number[]): AutoResolveReport {
    const report: AutoResolveReport = { resolved: 0, manual: 0, failed: 0 };
    const conflicts = this.deps.settings().conflicts;
    for (const id of new Set(ids)) {
      try {
        const conflict = this.deps.store.getConflict(id);
        if (conflict.status !== 'pending') continue;
        const resolution = resolveConflict(toConflictInput(conflict), tableMergeSettings(conflicts, conflict.table));
        if (!resolution.automatic) {
          report.manual++;
          continue;
        }
        const { copy } = resolution;
        if (copy && !this.deps.store.createRecordCopy) {
          report.manual++; // keep-both needs a copy this store cannot make: leave it to a person
          continue;
        }
        const write = () => {
          if (copy) this.deps.store.createRecordCopy!(conflict.table, copy.recordId, copy.data);
          this.deps.store.resolveConflict(id, {
            resolvedData: resolution.data,
            strategy: resolution.strategy,
            resolvedBy: 'system',
            confidence: resolution.confidence,
            automatic: true,
          });
        };
        // the copy and the resolution commit together, or neither does
        if (this.deps.store.batch) this.deps.store.batch(write);
        else write();
        report.resolved++;
      } catch (error) {
        report.failed++;
        this.deps.log.warn('automatic conflict resolution failed; left for a person', { conflictId: id, error });
      }
    }
    return report;
  }
}
