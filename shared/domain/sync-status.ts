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
  /** edits made here that a resolution replaced without a person here choosing it (QueueStats.editsReplaced) */
  editsReplaced: number;
  /** records per second over the last completed cycle */
  throughput: { pushedPerSec: number; pulledPerSec: number };
  bytes: { raw: number; wire: number };
  /**
   * Workspace changes not on the hub yet: items saved but not committed, plus commits not pushed (as of the last
   * fetch or push). Null: not counted yet, which is not a claim of zero.
   */
  workspaceUnsynced: number | null;
}

/** What "everything is synced" depends on. */
export type SyncedFacts = Pick<SyncStatus, 'state' | 'lastSyncAt' | 'pending' | 'failed' | 'conflicts' | 'workspaceUnsynced'>;

/**
 * The one rule every surface (queue page, conflicts page, tray, sidebar) uses before saying "synced" or "up to
 * date": a hub answered a completed sync, the node is idle, and nothing is pending, failed, in conflict or
 * not on the hub (workspace items and commits; not yet counted is not zero).
 */
/** What still keeps a node from "synced", in words (empty when nothing does); the sidebar and Queue page show it. */
export function notYetSynced(facts: SyncedFacts): string[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    facts.pending > 0 && `${facts.pending} pending`,
    facts.failed > 0 && `${facts.failed} failed`,
    facts.conflicts > 0 && `${facts.conflicts} in conflict`,
    (facts.workspaceUnsynced ?? 0) > 0 && `${plural(facts.workspaceUnsynced ?? 0, 'workspace change', 'workspace changes')} not on the hub`,
    facts.workspaceUnsynced === null && 'workspace not counted yet',
    facts.lastSyncAt === null && 'never synced',
  ].filter((x): x is string => typeof x === 'string');
}

export function isAllSynced(facts: SyncedFacts): boolean {
  return (
    facts.state === 'idle' &&
    facts.lastSyncAt !== null &&
    facts.pending === 0 &&
    facts.failed === 0 &&
    facts.conflicts === 0 &&
    facts.workspaceUnsynced === 0
  );
}
