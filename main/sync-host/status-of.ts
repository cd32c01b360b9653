import type { QueueStats } from '../../shared/domain/queue';
import type { Settings } from '../../shared/domain/settings';
import type { SyncStatus } from '../../shared/domain/sync-status';
import type { WorkerStatus } from '../../shared/protocol/worker';
import { deriveSyncState } from '../../shared/sync/sync-state';

export interface StatusFacts {
  settings: Settings;
  stats: QueueStats;
  /** the worker's last status report; null before the first */
  worker: WorkerStatus | null;
  workerReady: boolean;
  hubConfigured: boolean;
  /** the worker keeps dying (RestartPolicy.error) */
  crashError: string | null;
  workspaceUnsynced: number | null;
}

/** The one sync status every surface shows, from what main knows (settings, the queue) and the worker reported. */
export function syncStatusOf(f: StatusFacts): SyncStatus {
  const ws = f.worker;
  const fatalError = ws?.authError ?? ws?.clockError ?? f.crashError;
  return {
    state: deriveSyncState({
      hubConfigured: f.hubConfigured,
      paused: f.settings.sync.paused,
      fatalError,
      reachable: ws?.reachable ?? null,
      workerReady: f.workerReady,
      cycleRunning: ws?.cycleRunning ?? false,
    }),
    mode: f.settings.sync.mode,
    hubUrl: f.settings.sync.hubUrl,
    lastSyncAt: ws?.lastSyncAt ?? null,
    lastError: fatalError ?? ws?.lastError ?? null,
    nextAttemptAt: ws?.nextAttemptAt ?? null,
    pending: f.stats.byStatus.pending + f.stats.byStatus.processing,
    failed: f.stats.byStatus.failed,
    conflicts: f.stats.conflictsByStatus.pending,
    editsReplaced: f.stats.editsReplaced,
    throughput: ws?.throughput ?? { pushedPerSec: 0, pulledPerSec: 0 },
    bytes: ws?.bytes ?? { raw: 0, wire: 0 },
    workspaceUnsynced: f.workspaceUnsynced,
  };
}
