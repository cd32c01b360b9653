/** The sync state every surface shows (Queue page, tray, headless status). */
export const syncStates = ['offline', 'connecting', 'syncing', 'idle', 'paused', 'error', 'disabled'] as const;
export type SyncState = (typeof syncStates)[number];

export interface SyncStatus {
  state: SyncState;
  mode: 'manual' | 'auto' | 'periodic' | 'realtime';
  hubUrl: string | null;
  lastSyncAt: string | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  pending: number;
  failed: number;
  conflicts: number;
  /** records per second over the last completed cycle */
  throughput: { pushedPerSec: number; pulledPerSec: number };
  bytes: { raw: number; wire: number };
}
