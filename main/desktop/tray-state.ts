import { isAllSynced, type SyncState } from '../../shared/domain/sync-status';

/** The six looks of the tray icon; each has its own PNG in resources/tray/. */
export const trayStates = ['synced', 'syncing', 'offline', 'paused', 'conflicts', 'error'] as const;
export type TrayState = (typeof trayStates)[number];

/** What the tray needs to know, taken from the latest `sync.status` event (and `conflicts.changed`). */
export interface TrayFacts {
  syncState: SyncState;
  mode: 'manual' | 'auto' | 'periodic' | 'realtime';
  pending: number;
  failed: number;
  conflicts: number;
  lastSyncAt: string | null;
  lastError: string | null;
  /** workspace changes not on the hub yet (SyncStatus.workspaceUnsynced) */
  workspaceUnsynced: number | null;
}

export interface TrayView {
  state: TrayState;
  /** file name under resources/tray/ (the @2x variant sits next to it) */
  icon: string;
  tooltip: string;
}

const labels: Record<TrayState, string> = {
  synced: 'Up to date',
  syncing: 'Syncing',
  offline: 'Offline',
  paused: 'Sync paused',
  conflicts: 'Conflicts need review',
  error: 'Sync error',
};

/** Windows truncates tray tooltips at 127 characters. */
const TOOLTIP_MAX = 127;

/**
 * One pure function from sync facts to what the tray shows. Precedence: what needs a person first (an error,
 * then conflicts waiting), then a deliberate pause, then the network, then activity.
 */
export function trayView(facts: TrayFacts, now: Date): TrayView {
  const state = trayStateOf(facts);
  const lines = [`Outpost: ${detailLabel(state, facts)}`];
  lines.push(`${count(facts.pending, 'change')} pending · last sync ${relativeTime(facts.lastSyncAt, now)}`);
  if (facts.failed > 0) lines.push(`${count(facts.failed, 'change')} failed`);
  if ((facts.workspaceUnsynced ?? 0) > 0) lines.push(`${count(facts.workspaceUnsynced ?? 0, 'workspace change')} not on the hub`);
  if (state === 'error' && facts.lastError) lines.push(facts.lastError);
  let tooltip = lines.join('\n');
  if (tooltip.length > TOOLTIP_MAX) tooltip = `${tooltip.slice(0, TOOLTIP_MAX - 1)}…`;
  return { state, icon: trayIconFile(state), tooltip };
}

export function trayStateOf(facts: TrayFacts): TrayState {
  if (facts.syncState === 'error') return 'error';
  if (facts.conflicts > 0) return 'conflicts';
  if (facts.syncState === 'paused') return 'paused';
  // no hub configured: nothing leaves this machine, which looks like offline to the person
  if (facts.syncState === 'offline' || facts.syncState === 'disabled') return 'offline';
  if (facts.syncState === 'syncing' || facts.syncState === 'connecting') return 'syncing';
  // "synced" only by the one shared rule: a completed sync and nothing pending, failed or unpushed
  return isAllSynced({ state: facts.syncState, ...facts }) ? 'synced' : 'syncing';
}

export function trayIconFile(state: TrayState): string {
  return `tray-${state}.png`;
}

function detailLabel(state: TrayState, facts: TrayFacts): string {
  if (facts.syncState === 'disabled') return 'Sync is off (no hub connected)';
  if (state === 'conflicts') return `${count(facts.conflicts, 'conflict')} to review`;
  if (state === 'syncing' && facts.syncState === 'idle') {
    if (facts.pending === 0 && facts.failed === 0 && (facts.workspaceUnsynced ?? 0) === 0 && facts.lastSyncAt === null) return 'Not synced yet';
    return facts.mode === 'manual' ? 'Changes waiting (manual sync)' : 'Changes waiting to sync';
  }
  return labels[state];
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** "never", "just now", "5 min ago", "3 h ago", "2 days ago": short enough for a tooltip. */
export function relativeTime(iso: string | null, now: Date): string {
  if (!iso) return 'never';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return 'unknown';
  const seconds = Math.max(0, Math.round((now.getTime() - then) / 1000));
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}
