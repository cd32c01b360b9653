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

/** What "everything is synced" depends on: the sync status plus the workspace's unpushed Git commits. */
export interface SyncedFacts {
  state: SyncState;
  lastSyncAt: string | null;
  pending: number;
  failed: number;
  conflicts: number;
  /** workspace commits not yet on the hub (null or undefined: not known, which is not a claim of zero) */
  unpushedCommits?: number | null;
}

/**
 * The one rule every surface (queue page, conflicts page, tray, sidebar) uses before saying "synced" or "up to
 * date": a hub answered a completed sync, the node is idle, and nothing is pending, failed, in conflict or
 * unpushed.
 */
export function isAllSynced(facts: SyncedFacts): boolean {
  return (
    facts.state === 'idle' &&
    facts.lastSyncAt !== null &&
    facts.pending === 0 &&
    facts.failed === 0 &&
    facts.conflicts === 0 &&
    (facts.unpushedCommits ?? 0) === 0
  );
}
